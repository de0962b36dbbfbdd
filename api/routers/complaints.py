"""The complaints register (Art. 4.7, "cahier de réclamations"): advisers and supervisors of
the structure enter and answer complaints; the complainant's data are sealed and destroyed like
a case's; the scheduler reminds the supervisors of answers falling due."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.concurrency import command, tag
from api.deps import Adviser, Call, CaseReader, IfMatch, in_scope, parse_id, reading_for
from api.schemas.complaints import ComplaintAnswerIn, ComplaintIn, ComplaintOut
from api.scoping import scoped_structure
from domain.access import Purpose
from domain.complaint import Complaint
from domain.structure import Structure, structure_uuid
from projections.complaints import register

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])
READ_ENDPOINT = "GET /v1/complaints/{id}"
State = Literal["open", "due_soon", "overdue", "answered", "answered_late"]


def complaint_out(
    call: Call, complaint: Complaint, response: Response, *, personal: bool = False
) -> ComplaintOut:
    tag(response, complaint.version)
    structure: Structure = call.ledger.repository.get(complaint.structure_id)
    found = ComplaintOut(
        id=complaint.id.hex,
        version=complaint.version,
        structure_id=structure.code,
        channel=complaint.channel,
        topic=complaint.topic,
        received_at=complaint.received_at,
        answer_due_at=complaint.answer_due_at,
        state=complaint.state(call.now).value,
        answered_at=complaint.answered_at,
        answered_late=complaint.answered_late,
        destroyed_at=complaint.destroyed_at,
    )
    if personal:
        found.complainant, found.text = complaint.complainant, complaint.text
        found.answer = complaint.answer
    return found


def load(call: Call, complaint_id: str) -> Complaint:
    """The complaint, if it is one of the caller's structures (else 404)."""
    complaint = call.ledger.complaints.get(parse_id(complaint_id, "complaint"))
    in_scope(call, complaint.structure_id, "complaint")
    return complaint


@router.post("", status_code=201)
def receive(body: ComplaintIn, call: Adviser, response: Response) -> ComplaintOut:
    """Entered in the register; its answer is due ``complaint_answer_days`` after receipt."""
    in_scope(call, structure_uuid(body.structure_id), "structure")
    complaint = call.ledger.complaints.receive_complaint(
        structure_code=body.structure_id,
        **body.model_dump(exclude={"structure_id"}),
        actor=call.actor,
        now=call.now,
    )
    return complaint_out(call, complaint, response)


@router.get("")
def listing(
    call: Adviser,
    structure_id: Annotated[str | None, Query()] = None,
    state: Annotated[State | None, Query()] = None,
) -> list[dict[str, Any]]:
    """The structure's register from its view, unanswered first by deadline (no personal
    data: open one to read it)."""
    view_id = scoped_structure(call, structure_id)
    with call.services.reading() as tx:
        found = register(tx, view_id, call.now, state)
    return [{"id": c.pop("complaint_id"), **c} for c in found]


@router.get("/{complaint_id}")
def read(
    complaint_id: str,
    call: CaseReader,
    response: Response,
    purpose: Annotated[Purpose, Query()] = Purpose.CASE_HANDLING,
) -> ComplaintOut:
    """Shows the complainant, the text and the answer: the read is recorded (audit trail). A
    DPO reads one only with ``purpose=subject_access_request`` (GDPR 15), as a case."""
    reading_for(call, purpose)
    complaint = load(call, complaint_id)
    if complaint.destroyed_at is None:
        call.ledger.personal_data.record_access(
            complaint,
            endpoint=READ_ENDPOINT,
            purpose=purpose,
            actor=call.actor,
            now=call.now,
        )
    return complaint_out(call, complaint, response, personal=True)


@router.post("/{complaint_id}/answer")
def answer(
    complaint_id: str,
    body: ComplaintAnswerIn,
    call: Adviser,
    response: Response,
    if_match: IfMatch = None,
) -> ComplaintOut:
    """Once (409 ``complaint_answered``); after the deadline it is recorded late."""
    complaint = load(call, complaint_id)
    answered = command(call.ledger.complaints.answer_complaint, complaint, body, call, if_match)
    return complaint_out(call, answered, response)
