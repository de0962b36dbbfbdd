"""Commands on the complaints register (Art. 4.7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.unit import Unit
from domain.actor import Actor
from domain.complaint import Complaint, Topic
from domain.personal_data import normalized_identity, validate_person
from domain.retention import complaint_data_due_at
from domain.structure import Structure, structure_uuid
from domain.validation import parse_enum, require_not_after
from domain.vocabulary import Channel


class ComplaintCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, complaint_id: UUID) -> Complaint:
        return self.unit.load(Complaint, complaint_id)

    def receive_complaint(
        self,
        *,
        structure_code: str,
        channel: str,
        topic: str,
        received_at: datetime,
        complainant: dict[str, Any],
        text: str,
        actor: Actor,
        now: datetime,
    ) -> Complaint:
        """Entered in the register; the answer is due ``Policy.complaint_answer_days`` after
        receipt. The complainant's identity and the text are sealed in the complaint's envelope,
        found by the person's keyed hash like a case's (GDPR 15, 17)."""
        structure = self.unit.load(Structure, structure_uuid(structure_code))
        received_at = structure.require_existing_at(
            require_not_after(received_at, now, "received_at"), "received_at"
        )
        policy = self.unit.policy
        complaint = Complaint.receive(
            structure_id=structure.id,
            channel=parse_enum(Channel, channel, "channel"),
            topic=parse_enum(Topic, topic, "topic"),
            received_at=received_at,
            complainant=complainant,
            text=text,
            answer_due_at=received_at + timedelta(days=policy.complaint_answer_days),
            data_due_at=complaint_data_due_at(policy, received_at, None),
            actor=actor,
            now=now,
        )
        subject = normalized_identity(validate_person(complainant, "complainant"))
        self.unit.save_opening(complaint, complaint.envelope_id, subject)
        return complaint

    def answer_complaint(
        self,
        complaint: UUID | Complaint,
        *,
        at: datetime,
        answer: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Complaint:
        due = complaint_data_due_at(self.unit.policy, now, require_not_after(at, now, "at"))
        return self.unit.update(
            Complaint,
            complaint,
            lambda c: c.answer_complaint(at, answer, data_due_at=due, actor=actor, now=now),
            expected_version,
        )
