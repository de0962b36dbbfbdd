"""ANCT flash audits (Art. 4.7): the department's administrator records an audit of a
structure against the grid, with the evidence the ledger pre-fills from its views; the
structure's supervisor reads its audits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.concurrency import command, execute, tag
from api.deps import Admin, Call, IfMatch, allowed, in_scope, parse_id
from api.schemas.audits import AssessmentIn, AuditIn, AuditOut, CriterionOut
from application.authorization import Role
from domain.audit_flash import FlashAudit
from domain.structure import Structure
from projections.audits import listing
from projections.db import hex_id
from projections.evidence import evidence

router = APIRouter(prefix="/v1/audits", tags=["audits"])
AuditReader = Annotated[Call, allowed(Role.ADMIN, Role.SUPERVISOR)]


def gathered(call: Call, structure: Structure) -> dict[str, Any]:
    """The evidence the ledger holds for the structure now: its views, and its timetable."""
    conformity = structure.conformity(call.now)
    with call.services.reading() as tx:
        found = evidence(tx, hex_id(structure.id) or "", call.now)
    return {
        "opening_hours": {
            "weekly_hours": conformity.weekly_hours,
            "open_days": conformity.open_days,
            "meets_minimum": conformity.meets_minimum,
        },
        **found,
    }


def audit_out(call: Call, audit: FlashAudit, response: Response | None = None) -> AuditOut:
    if response is not None:
        tag(response, audit.version)
    structure: Structure = call.ledger.repository.get(audit.structure_id)
    return AuditOut(
        id=audit.id.hex,
        version=audit.version,
        structure_id=structure.code,
        grid=audit.grid,
        opened_at=audit.created_on,
        closed_at=audit.closed_at,
        conform=audit.conform,
        criteria=[
            CriterionOut(
                code=c.code,
                label=c.label,
                evidence=audit.evidence.get(c.code),
                result=audit.results.get(c.code, {}).get("result"),
                remark=audit.results.get(c.code, {}).get("remark"),
            )
            for c in audit.criteria
        ],
    )


def load(call: Call, audit_id: str) -> FlashAudit:
    audit = call.ledger.audits.get(parse_id(audit_id, "audit"))
    in_scope(call, audit.structure_id, "audit")
    return audit


@router.post("", status_code=201)
def open_audit(body: AuditIn, call: Admin, response: Response) -> AuditOut:
    """Opens an audit with the evidence of the twelve months before now, pre-filled."""
    structure = call.ledger.structures.get(body.structure_id)
    audit = call.ledger.audits.open_audit(
        structure_code=structure.code,
        evidence=gathered(call, structure),
        actor=call.actor,
        now=call.now,
    )
    return audit_out(call, audit, response)


@router.get("")
def audits(
    call: AuditReader, structure_id: Annotated[str | None, Query()] = None
) -> list[dict[str, Any]]:
    """Latest first; a supervisor sees their structures' audits only."""
    scope = None
    if call.caller.role == Role.SUPERVISOR:
        scope = sorted(call.caller.structures)
    if structure_id is not None:
        scope = [structure_id] if scope is None or structure_id in scope else []
    with call.services.reading() as tx:
        ids = None if scope is None else [call.ledger.structures.get(c).id.hex for c in scope]
        return [{"id": a.pop("audit_id"), **a} for a in listing(tx, ids)]


@router.get("/{audit_id}")
def read(audit_id: str, call: AuditReader, response: Response) -> AuditOut:
    return audit_out(call, load(call, audit_id), response)


@router.post("/{audit_id}/assessments")
def assess(
    audit_id: str, body: AssessmentIn, call: Admin, response: Response, if_match: IfMatch = None
) -> AuditOut:
    """A criterion's result (``met``, ``partly_met``, ``not_met``, ``not_applicable``) and a
    remark about the service (never about a person); assessed again, the last one counts."""
    audit = load(call, audit_id)
    assessed = command(call.ledger.audits.assess_criterion, audit, body, call, if_match)
    return audit_out(call, assessed, response)


@router.post("/{audit_id}/closure")
def close(audit_id: str, call: Admin, response: Response, if_match: IfMatch = None) -> AuditOut:
    """409 ``audit_incomplete`` while a criterion is not assessed; conform when none is
    ``not_met``."""
    audit = load(call, audit_id)
    closed = execute(
        lambda version: call.ledger.audits.close_audit(
            audit.id, actor=call.actor, now=call.now, expected_version=version
        ),
        if_match,
    )
    return audit_out(call, closed, response)
