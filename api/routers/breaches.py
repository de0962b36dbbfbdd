"""The breach register and CNIL notifications (GDPR 33): DPOs only, across structures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.concurrency import command, tag
from api.deps import Call, Dpo, IfMatch, parse_id
from api.schemas import (
    BreachIn,
    BreachOut,
    ClosureIn,
    NotificationIn,
    RiskIn,
    SubjectExemptionIn,
    SubjectInformationIn,
)
from domain.breach import Breach
from projections.breaches import register

router = APIRouter(prefix="/v1/breaches", tags=["breaches"])
BreachState = Literal["on_time", "due_soon", "overdue", "notified", "notified_late", "not_required"]


def breach_out(breach: Breach, response: Response) -> BreachOut:
    tag(response, breach.version)
    return BreachOut(
        id=breach.id.hex,
        version=breach.version,
        aware_at=breach.aware_at,
        cnil_deadline=breach.cnil_deadline,
        risk_level=breach.risk_level,
        notification_required=breach.notification_required,
        notifications=breach.notifications,
        subjects_informed_at=breach.subjects_informed_at,
        subjects_exemption=breach.subjects_exemption,
        closed_at=breach.closed_at,
    )


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
