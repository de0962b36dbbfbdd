"""Art. 4.7: the complaints register: received, answered once (late when past its deadline),
destroyed like a case."""

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.complaint import Complaint, ComplaintState, Topic
from domain.errors import (
    DestructionReasonMismatch,
    InvalidInput,
    PersonalDataDestroyedError,
    RuleViolation,
)
from domain.personal_data import DestructionReason
from domain.vocabulary import Channel
from tests.builders import ADVISER, NOW

DUE = NOW + timedelta(days=30)
KEEP = NOW + timedelta(days=700)


def receive(**overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "structure_id": uuid4(),
        "channel": Channel.COUNTER,
        "topic": Topic.WAITING,
        "received_at": NOW,
        "complainant": {"first_name": "Jeanne", "last_name": "Martin"},
        "text": "waited two hours",
        "answer_due_at": DUE,
        "data_due_at": KEEP,
        "actor": ADVISER,
        "now": NOW,
    }
    return Complaint.receive(**(fields | overrides))


def test_a_complaint_seals_the_complainant_and_the_text() -> None:
    received = receive().collect_events()[0]
    assert type(received).personal_fields == ("complainant", "text")
    with pytest.raises(InvalidInput) as refused:
        receive(complainant={"first_name": "Jeanne"})
    assert refused.value.field == "complainant.last_name"
    with pytest.raises(InvalidInput):
        receive(text=" ")


def test_its_state_runs_from_open_to_due_soon_to_overdue_until_answered() -> None:
    complaint = receive()
    assert complaint.state(NOW) == ComplaintState.OPEN
    assert complaint.state(DUE - timedelta(days=2)) == ComplaintState.DUE_SOON
    assert complaint.state(DUE) == ComplaintState.OVERDUE
    late = DUE + timedelta(hours=1)
    complaint.answer_complaint(late, "sorry", data_due_at=KEEP, actor=ADVISER, now=late)
    assert complaint.state(late) == ComplaintState.ANSWERED_LATE
    assert complaint.answered_late is True
    on_time = receive()
    on_time.answer_complaint(NOW, "sorry", data_due_at=KEEP, actor=ADVISER, now=NOW)
    assert on_time.state(DUE) == ComplaintState.ANSWERED


def test_a_complaint_is_answered_once_never_before_it_was_received() -> None:
    complaint = receive()
    with pytest.raises(InvalidInput) as early:
        complaint.answer_complaint(
            NOW - timedelta(hours=1), "x", data_due_at=KEEP, actor=ADVISER, now=NOW
        )
    assert early.value.field == "at"
    complaint.answer_complaint(NOW, "x", data_due_at=KEEP, actor=ADVISER, now=NOW)
    with pytest.raises(RuleViolation) as again:
        complaint.answer_complaint(NOW, "y", data_due_at=KEEP, actor=ADVISER, now=NOW)
    assert again.value.code == "complaint_answered"


def test_destruction_fits_the_complaints_state_and_clears_its_data() -> None:
    complaint = receive()
    with pytest.raises(DestructionReasonMismatch):
        complaint.destroy_personal_data(
            DestructionReason.PROCEDURE_RESOLVED, actor=ADVISER, now=NOW
        )
    assert complaint.destroy_personal_data(DestructionReason.INACTIVE, actor=ADVISER, now=NOW)
    assert (complaint.complainant, complaint.text) == (None, None)
    assert not complaint.destroy_personal_data(DestructionReason.INACTIVE, actor=ADVISER, now=NOW)
    with pytest.raises(PersonalDataDestroyedError):
        complaint.answer_complaint(NOW, "x", data_due_at=KEEP, actor=ADVISER, now=NOW)
