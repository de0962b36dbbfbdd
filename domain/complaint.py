"""The complaints register (Art. 4.7, "cahier de réclamations"): a user's complaint about the
structure's service, its answer within the department's deadline, and the destruction of the
complainant's data like any envelope's."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate, SealedEvent
from domain.errors import InvalidInput, PersonalDataDestroyedError, RuleViolation
from domain.personal_data import (
    DestructionReason,
    destruction_instant,
    require_fitting,
    validate_person,
)
from domain.validation import require_not_after, require_text
from domain.vocabulary import Channel

DUE_SOON = timedelta(days=3)


class Topic(StrEnum):
    """What a complaint is about: a code the yearly indicators count (the text is sealed)."""

    WELCOME = "welcome"
    WAITING = "waiting"
    OPENING_HOURS = "opening_hours"
    ANSWER_QUALITY = "answer_quality"
    ANSWER_DELAY = "answer_delay"
    ACCESSIBILITY = "accessibility"
    PERSONAL_DATA = "personal_data"
    PARTNER = "partner"
    OTHER = "other"


class ComplaintState(StrEnum):
    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ANSWERED = "answered"
    ANSWERED_LATE = "answered_late"


class Complaint(LedgerAggregate):
    def __init__(
        self,
        structure_id: UUID,
        channel: str,
        topic: str,
        received_at: datetime,
        envelope_id: UUID,
        answer_due_at: datetime,
        data_due_at: datetime,
    ) -> None:
        self.structure_id = structure_id
        self.channel = channel
        self.topic = topic
        self.received_at = received_at
        self.envelope_id = envelope_id
        self.answer_due_at = answer_due_at
        self.data_due_at = data_due_at
        self.complainant: dict[str, str] | None = None
        self.text: str | None = None
        self.answer: str | None = None
        self.answered_at: datetime | None = None
        self.answered_late: bool | None = None
        self.destroyed_at: datetime | None = None
        self.destruction_reason: str | None = None

    class Received(LedgerAggregate.Created, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("complainant", "text")
        structure_id: UUID
        channel: str
        topic: str
        received_at: datetime
        envelope_id: UUID
        complainant: dict[str, str] | None
        text: str | None
        answer_due_at: datetime
        data_due_at: datetime

        def apply(self, aggregate: Any) -> None:
            complaint = cast(Complaint, aggregate)
            complaint.complainant = self.complainant
            complaint.text = self.text

    class Answered(LedgerAggregate.Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("answer",)
        envelope_id: UUID
        at: datetime
        answer: str | None
        late: bool
        data_due_at: datetime

        def apply(self, aggregate: Any) -> None:
            complaint = cast(Complaint, aggregate)
            complaint.answer = self.answer
            complaint.answered_at = self.at
            complaint.answered_late = self.late
            complaint.data_due_at = self.data_due_at

    class PersonalDataDestroyed(LedgerAggregate.Event):
        envelope_id: UUID
        reason: str
        at: datetime

        def apply(self, aggregate: Any) -> None:
            complaint = cast(Complaint, aggregate)
            complaint.destroyed_at = self.at
            complaint.destruction_reason = self.reason
            complaint.complainant = None
            complaint.text = None
            complaint.answer = None

    @classmethod
    def receive(
        cls,
        *,
        structure_id: UUID,
        channel: Channel,
        topic: Topic,
        received_at: datetime,
        complainant: dict[str, Any],
        text: str,
        answer_due_at: datetime,
        data_due_at: datetime,
        actor: Actor,
        now: datetime,
    ) -> Complaint:
        return cls._create(
            cls.Received,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            structure_id=structure_id,
            channel=channel.value,
            topic=topic.value,
            received_at=received_at,
            envelope_id=uuid4(),
            complainant=validate_person(complainant, "complainant"),
            text=require_text(text, "text"),
            answer_due_at=answer_due_at,
            data_due_at=data_due_at,
        )

    def state(self, now: datetime) -> ComplaintState:
        if self.answered_at is not None:
            return ComplaintState.ANSWERED_LATE if self.answered_late else ComplaintState.ANSWERED
        if now >= self.answer_due_at:
            return ComplaintState.OVERDUE
        if now >= self.answer_due_at - DUE_SOON:
            return ComplaintState.DUE_SOON
        return ComplaintState.OPEN

    def answer_complaint(
        self, at: datetime, answer: str, *, data_due_at: datetime, actor: Actor, now: datetime
    ) -> None:
        """The answer given to the complainant (once); answered after the deadline, it is
        recorded late."""
        if self.destroyed_at is not None:
            raise PersonalDataDestroyedError("the personal data of this complaint were destroyed")
        if self.answered_at is not None:
            raise RuleViolation("this complaint was already answered", code="complaint_answered")
        at = require_not_after(at, now, "at")
        if at < self.received_at:
            raise InvalidInput("at cannot be before the complaint was received", field="at")
        self.trigger_event(
            self.Answered,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            at=at,
            answer=require_text(answer, "answer"),
            late=at > self.answer_due_at,
            data_due_at=data_due_at,
        )

    def destroy_personal_data(
        self,
        reason: DestructionReason,
        *,
        actor: Actor,
        now: datetime,
        at: datetime | None = None,
    ) -> bool:
        """As a request's: ``procedure_resolved`` once answered, ``inactive`` before; ``False``
        (and no event) when already destroyed."""
        if self.destroyed_at is not None:
            return False
        answered = self.answered_at is not None
        fitting = {DestructionReason.PROCEDURE_RESOLVED if answered else DestructionReason.INACTIVE}
        require_fitting(reason, fitting, "an answered complaint" if answered else "an open one")
        self.trigger_event(
            self.PersonalDataDestroyed,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            reason=reason.value,
            at=destruction_instant(at, self.modified_on, now),
        )
        return True
