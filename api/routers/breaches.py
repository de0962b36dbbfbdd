"""The breach register and CNIL notifications (GDPR 33): DPOs only, across structures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.concurrency import command, tag
from api.deps import Call, Dpo, IfMatch, parse_id
from api.instants import canonical
from api.problems import JSON_OR_CSV
from api.schemas import (
    BreachIn,
    BreachOut,
    ClosureIn,
    NotificationIn,
    RiskIn,
    SubjectExemptionIn,
    SubjectInformationIn,
)
from domain.breach import GDPR_33_3_FACTS, Breach
from projections.breaches import register
from projections.db import csv_chunks

router = APIRouter(prefix="/v1/breaches", tags=["breaches"])
BreachState = Literal["on_time", "due_soon", "overdue", "notified", "notified_late", "not_required"]


def breach_out(breach: Breach, response: Response | None = None) -> BreachOut:
    if response is not None:
        tag(response, breach.version)
    return BreachOut(
        id=breach.id.hex,
        version=breach.version,
        aware_at=breach.aware_at,
        **breach.facts,
        cnil_deadline=breach.cnil_deadline,
        risk_level=breach.risk_level,
        risk_rationale=breach.risk_rationale,
        notification_required=breach.notification_required,
        notifications=breach.notifications,
        subjects_informed_at=breach.subjects_informed_at,
        subjects_exemption=breach.subjects_exemption,
        closed_at=breach.closed_at,
        timeline=breach.timeline,
    )


REGISTER_COLUMNS = (
    "id",
    "aware_at",
    *GDPR_33_3_FACTS,
    "risk_level",
    "risk_rationale",
    "notification_required",
    "cnil_deadline",
    "notified_at",
    "notified_late",
    "late_reason",
    "subjects_informed_at",
    "subjects_exemption",
    "closed_at",
)


def register_line(entry: BreachOut) -> list[Any]:
    """One breach as a line of the register's CSV (lists joined with ``|``)."""
    initial = next((n for n in entry.notifications if n["phase"] == "initial"), None)
    values = entry.model_dump(mode="json") | {
        "notified_at": initial["at"].isoformat() if initial else None,
        "notified_late": initial["late"] if initial else None,
        "late_reason": initial["late_reason"] if initial else None,
    }
    return ["|".join(v) if isinstance(v := values[c], list) else v for c in REGISTER_COLUMNS]


def on_breach(
    method: Callable[..., Breach],
    breach_id: str,
    body: BaseModel,
    call: Call,
    response: Response,
    if_match: str | None,
) -> BreachOut:
    """One Ledger command on one breach (404 for an unknown id, from the command's own load)."""
    return breach_out(
        command(method, parse_id(breach_id, "breach"), body, call, if_match), response
    )


@router.post("", status_code=201)
def declare(body: BreachIn, call: Dpo, response: Response) -> BreachOut:
    """Enters the register; the CNIL deadline is 72 hours after awareness."""
    breach = call.ledger.breaches.declare_breach(
        actor=call.actor, now=call.now, **body.model_dump()
    )
    return breach_out(breach, response)


@router.post("/{breach_id}/risk-assessment")
def assess(
    breach_id: str,
    body: RiskIn,
    call: Dpo,
    response: Response,
    if_match: IfMatch = None,
) -> BreachOut:
    return on_breach(
        call.ledger.breaches.assess_breach_risk, breach_id, body, call, response, if_match
    )


@router.post("/{breach_id}/cnil-notifications", status_code=201)
def notify(
    breach_id: str,
    body: NotificationIn,
    call: Dpo,
    response: Response,
    if_match: IfMatch = None,
) -> BreachOut:
    """A late initial notification without ``late_reason`` is 422 ``late_reason_required``."""
    return on_breach(call.ledger.breaches.notify_cnil, breach_id, body, call, response, if_match)


@router.get("/register", response_model=None, responses=JSON_OR_CSV)
def register_of_breaches(
    call: Dpo, format: Annotated[Literal["json", "csv"], Query()] = "json"
) -> list[BreachOut] | StreamingResponse:
    """GDPR 33(5): the documentation of every breach, notified or not, with its facts, effects
    and the remedial action taken, oldest first. Breaches are few: each is read from the
    ledger (its free texts are not in any view)."""
    with call.services.reading() as tx:
        ids = [UUID(row["id"]) for row in register(tx, call.now, None)]
    entries = sorted(
        (breach_out(call.ledger.breaches.get(i)) for i in ids), key=lambda e: e.aware_at
    )
    if format == "json":
        return entries
    lines = [list(REGISTER_COLUMNS), *(register_line(e) for e in entries)]
    return StreamingResponse(
        csv_chunks(canonical(line) for line in lines),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="breach-register.csv"'},
    )


@router.get("/{breach_id}")
def read(breach_id: str, call: Dpo, response: Response) -> BreachOut:
    return breach_out(call.ledger.breaches.get(parse_id(breach_id, "breach")), response)


@router.post("/{breach_id}/subject-information")
def inform_subjects(
    breach_id: str,
    body: SubjectInformationIn,
    call: Dpo,
    response: Response,
    if_match: IfMatch = None,
) -> BreachOut:
    """GDPR 34: the people concerned were told (when, by which channel)."""
    return on_breach(
        call.ledger.breaches.inform_breach_subjects, breach_id, body, call, response, if_match
    )


@router.post("/{breach_id}/subject-exemption")
def exempt_subjects(
    breach_id: str,
    body: SubjectExemptionIn,
    call: Dpo,
    response: Response,
    if_match: IfMatch = None,
) -> BreachOut:
    """GDPR 34(3): why the people concerned are not told individually."""
    return on_breach(
        call.ledger.breaches.exempt_breach_subjects, breach_id, body, call, response, if_match
    )


@router.post("/{breach_id}/closure")
def close(
    breach_id: str, body: ClosureIn, call: Dpo, response: Response, if_match: IfMatch = None
) -> BreachOut:
    """Refused (409) while the risk is unassessed, a due notification or information missing."""
    return on_breach(call.ledger.breaches.close_breach, breach_id, body, call, response, if_match)


@router.get("")
def listing(
    call: Dpo, state: Annotated[BreachState | None, Query()] = None
) -> list[dict[str, Any]]:
    """The register from its view, with each breach's state and seconds left at ``now``."""
    with call.services.reading() as tx:
        return register(tx, call.now, state)
