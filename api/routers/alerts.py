"""Alerts the scheduler raises (answers due, CNIL deadlines, mandates ending, destruction due):
listed from their view, acknowledged through the ledger."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Query, Response

from api.concurrency import execute, tag
from api.deps import Call, IfMatch, SupervisorOrDpo, parse_id
from application.authorization import Role
from domain.complaint import Complaint
from domain.errors import NotFound
from domain.mandate import Mandate
from domain.request import Request
from domain.structure import structure_uuid
from projections.alerts import listing

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
AlertKindName = Literal["sla", "cnil", "mandate", "retention", "complaint"]


@router.get("")
def alerts(
    call: SupervisorOrDpo,
    kind: Annotated[
        Literal["sla", "cnil", "mandate", "retention", "complaint"] | None, Query()
    ] = None,
    status: Annotated[Literal["open", "acknowledged"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    """DPOs see every alert; supervisors those about their structures' cases, mandates and
    complaints."""
    scope = None
    if call.caller.role == Role.SUPERVISOR:
        scope = sorted(structure_uuid(s).hex for s in call.caller.structures)
    with call.services.reading() as tx:
        found = listing(tx, kind, status, scope)
    return [{"id": a.pop("alert_id"), **a} for a in found]


@router.post("/{alert_id}/acknowledgement")
def acknowledge(
    alert_id: str, call: SupervisorOrDpo, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    """Someone saw the alert and took it in hand. A supervisor acknowledges the alerts about
    their structures' cases and mandates; a DPO any."""
    alert = call.ledger.alerts.get(parse_id(alert_id, "alert"))
    if call.caller.role == Role.SUPERVISOR:
        subject: object = _subject_of(call, alert.subject_id)
        if not isinstance(subject, Request | Mandate | Complaint) or not call.caller.sees(
            subject.structure_id
        ):
            raise NotFound("no such alert")
    acknowledged = execute(
        lambda version: call.ledger.alerts.acknowledge_alert(
            alert.id, actor=call.actor, now=call.now, expected_version=version
        ),
        if_match,
    )
    tag(response, acknowledged.version)
    return {
        "id": acknowledged.id.hex,
        "status": "acknowledged",
        "acknowledged_at": acknowledged.acknowledged_at,
        "acknowledged_by": acknowledged.acknowledged_by,
    }


def _subject_of(call: Call, subject_id: UUID) -> object:
    try:
        return call.ledger.repository.get(subject_id)
    except AggregateNotFoundError:
        return None
