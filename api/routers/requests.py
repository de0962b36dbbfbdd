"""Requests: open, read (a recorded access), work, act on behalf, resolve; history for
supervisors. Every command is one Ledger call; the caller's token is the events' actor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.concurrency import command, tag
from api.deps import Adviser, Call, CaseReader, IfMatch, Supervisor, in_scope, parse_id, reading_for
from api.history import history_of
from api.schemas import (
    ActionIn,
    AssignmentIn,
    EscalationIn,
    History,
    PartnerAnswerIn,
    ReopeningIn,
    RequestIn,
    RequestOut,
    RequestSummary,
    ResolutionIn,
    ResolutionOut,
    ResponseIn,
)
from api.schemas.common import Instant
from api.scoping import scoped_structure
from domain.access import Purpose
from domain.request import Request
from domain.sla_state import SlaState, sla_state
from domain.structure import Structure, structure_uuid
from projections import sla_queries

router = APIRouter(prefix="/v1/requests", tags=["requests"])
READ_ENDPOINT = "GET /v1/requests/{id}"


def summary(request: Request) -> RequestSummary:
    return RequestSummary(
        id=request.id.hex,
        version=request.version,
        status=request.status.value,
        due_at=request.due_at,
        first_response_at=request.first_response_at,
    )


def load(call: Call, request_id: str) -> Request:
    """The request if the caller's structures hold it; 404 otherwise."""
    request = call.ledger.requests.get(parse_id(request_id, "request"))
    in_scope(call, request.structure_id, "request")
    return request


def tagged(response: Response, request: Request) -> RequestSummary:
    tag(response, request.version)
    return summary(request)


def on_request(
    method: Callable[..., Request],
    request_id: str,
    body: BaseModel,
    call: Call,
    response: Response,
    if_match: str | None,
) -> RequestSummary:
    """One Ledger command on one request of the caller's structures."""
    return tagged(response, command(method, load(call, request_id), body, call, if_match))


@router.post("", status_code=201)
def open_request(body: RequestIn, call: Adviser, response: Response) -> RequestSummary:
    in_scope(call, structure_uuid(body.structure_id), "structure")
    fields = body.model_dump(exclude={"structure_id"})
    request = call.ledger.requests.open_request(
        structure_code=body.structure_id, **fields, actor=call.actor, now=call.now
    )
    return tagged(response, request)


@router.get("")
def worklist(
    call: Adviser,
    structure_id: Annotated[str | None, Query()] = None,
    status: Annotated[Literal["open", "answered", "resolved"] | None, Query()] = None,
    sla_state: Annotated[SlaState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """The structure's requests, most urgent first, from the ``sla`` view (no personal data;
    open one to see its user). A caller with one structure may leave ``structure_id`` out."""
    view_id = scoped_structure(call, structure_id)
    with call.services.reading() as tx:
        found = sla_queries.worklist(
            tx, view_id, call.now, status=status, sla_state=sla_state, limit=limit, offset=offset
        )
    return [{"id": row.pop("request_id"), **row} for row in found]


@router.get("/{request_id}")
def read(
    request_id: str,
    call: CaseReader,
    response: Response,
    purpose: Annotated[Purpose, Query()] = Purpose.CASE_HANDLING,
) -> RequestOut:
    """Shows the user's identity: the read is recorded in the ledger (audit trail)."""
    reading_for(call, purpose)
    request = load(call, request_id)
    if request.user is not None:
        call.ledger.personal_data.record_access(
            request, endpoint=READ_ENDPOINT, purpose=purpose, actor=call.actor, now=call.now
        )
    tag(response, request.version)
    return request_out(request, call.ledger.repository.get(request.structure_id), call.now)


def request_out(request: Request, structure: Structure, now: datetime) -> RequestOut:
    """The case as an adviser sees it: its user, or when the user was destroyed."""
    state = sla_state(request.due_at, request.first_response_at, now, structure.calendar)
    return RequestOut(
        **summary(request).model_dump(),
        structure_id=structure.code,
        channel=request.channel,
        partner=request.partner,
        mission=request.mission,
        theme=request.theme,
        received_at=request.received_at,
        resolved_at=request.resolved_at,
        outcome=request.outcome,
        sla_state=state.value if state else None,
        envelope_id=request.envelope_id.hex,
        user=request.user or {"destroyed_at": request.destroyed_at},
    )


@router.post("/{request_id}/responses", status_code=201)
def respond(
    request_id: str, body: ResponseIn, call: Adviser, response: Response, if_match: IfMatch = None
) -> RequestSummary:
    """The first response stops the SLA clock."""
    return on_request(call.ledger.requests.respond, request_id, body, call, response, if_match)


@router.post("/{request_id}/actions", status_code=201)
def act_on_behalf(
    request_id: str, body: ActionIn, call: Adviser, response: Response, if_match: IfMatch = None
) -> RequestSummary:
    """Refused (409) without an active mandate of the structure covering partner and scope."""
    found, mandate_id = load(call, request_id), _mandate_id(body.mandate_id)
    request = command(
        call.ledger.requests.act_on_behalf, found, body, call, if_match, mandate_id=mandate_id
    )
    return tagged(response, request)


def _mandate_id(value: str | None) -> UUID | None:
    """An id that names no mandate is the same refusal as no mandate (``mandate_required``)."""
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        return UUID(int=0)


@router.post("/{request_id}/escalations", status_code=201)
def escalate(
    request_id: str,
    body: EscalationIn,
    call: Adviser,
    response: Response,
    if_match: IfMatch = None,
) -> RequestSummary:
    return on_request(call.ledger.requests.escalate, request_id, body, call, response, if_match)


@router.post("/{request_id}/resolution")
def resolve(
    request_id: str,
    body: ResolutionIn,
    call: Adviser,
    response: Response,
    if_match: IfMatch = None,
) -> ResolutionOut:
    """The personal data become due for destruction (``destruction_due_at``)."""
    request = command(call.ledger.requests.resolve, load(call, request_id), body, call, if_match)
    return ResolutionOut(
        **tagged(response, request).model_dump(), destruction_due_at=request.data_due_at
    )


@router.post("/{request_id}/assignment")
def assign(
    request_id: str,
    body: AssignmentIn,
    call: Adviser,
    response: Response,
    if_match: IfMatch = None,
) -> RequestSummary:
    """Names the adviser in charge (a token name, not a person's identity)."""
    return on_request(
        call.ledger.requests.assign_adviser, request_id, body, call, response, if_match
    )


@router.post("/{request_id}/partner-answers", status_code=201)
def record_partner_answer(
    request_id: str,
    body: PartnerAnswerIn,
    call: Adviser,
    response: Response,
    if_match: IfMatch = None,
) -> RequestSummary:
    return on_request(
        call.ledger.requests.record_partner_answer, request_id, body, call, response, if_match
    )


@router.post("/{request_id}/reopening")
def reopen(
    request_id: str,
    body: ReopeningIn,
    call: Adviser,
    response: Response,
    if_match: IfMatch = None,
) -> RequestSummary:
    """A resolved request opens again (its data are kept again from now)."""
    return on_request(call.ledger.requests.reopen, request_id, body, call, response, if_match)


@router.get("/{request_id}/history")
def history(
    request_id: str,
    call: Supervisor,
    as_of: Annotated[Instant | None, Query()] = None,
) -> History:
    """The events (no personal data) and the state as of ``as_of`` (default: now)."""
    return history_of(call.ledger, load(call, request_id), as_of or call.now)
