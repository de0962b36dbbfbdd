"""A citizen's request to a France Services counter, from receipt to resolution."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate, SealedEvent
from domain.errors import (
    InvalidInput,
    PersonalDataDestroyedError,
    RequestResolved,
    RuleViolation,
)
from domain.personal_data import (
    DestructionReason,
    destruction_instant,
    require_fitting,
    validate_person,
)
from domain.validation import require_code, require_not_after, require_text
from domain.vocabulary import Channel, Mission, ScopeKind


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    SOLVED = "solved"
    PARTIALLY_SOLVED = "partially_solved"
    REDIRECTED = "redirected"
    NOT_SOLVED = "not_solved"
    ABANDONED = "abandoned"


class Request(LedgerAggregate):
    def __init__(
        self,
        structure_id: UUID,
        channel: str,
        partner: str,
        mission: str,
        theme: str,
        received_at: datetime,
        envelope_id: UUID,
        due_at: datetime | None,
        rule_version: str,
    ) -> None:
        self.structure_id = structure_id
        self.channel = channel
        self.partner = partner
        self.mission = mission
        self.theme = theme
        self.received_at = received_at
        self.envelope_id = envelope_id
        self.due_at = due_at
        self.rule_version = rule_version
        self.status = Status.OPEN
        self.adviser: str | None = None
        self.first_response_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.outcome: str | None = None
        self.destroyed_at: datetime | None = None
        self.destruction_reason: str | None = None
        self.user: dict[str, str] | None = None
        self.new_visitor: bool | None = None
        self.responses: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.data_due_at: datetime = received_at

    class Event(LedgerAggregate.Event):
        data_due_at: datetime

        def apply(self, aggregate: Any) -> None:
            request = cast(Request, aggregate)
            request.data_due_at = self.data_due_at
            self.apply_to(request)

        def apply_to(self, request: Request) -> None:
            pass

    class Opened(LedgerAggregate.Created, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("user",)
        structure_id: UUID
        channel: str
        partner: str
        mission: str
        theme: str
        received_at: datetime
        envelope_id: UUID
        user: dict[str, str] | None
        due_at: datetime | None
        rule_version: str
        data_due_at: datetime
        new_visitor: bool | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 did not say whether the user was new to the structure this quarter."""
            state["new_visitor"] = None

        def apply(self, aggregate: Any) -> None:
            request = cast(Request, aggregate)
            request.user = self.user
            request.new_visitor = self.new_visitor
            request.data_due_at = self.data_due_at

    class AdviserAssigned(Event):
        adviser: str

        def apply_to(self, request: Request) -> None:
            request.adviser = self.adviser

    class Responded(Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("summary",)
        envelope_id: UUID
        at: datetime
        summary: str | None

        def apply_to(self, request: Request) -> None:
            request.responses.append({"at": self.at, "summary": self.summary})
            if request.first_response_at is None:
                request.first_response_at = self.at
            if request.status == Status.OPEN:
                request.status = Status.ANSWERED

    class Escalated(Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("reason",)
        envelope_id: UUID
        partner: str
        at: datetime
        reason: str | None
        referent_id: UUID | None  # the partner's referent it went to (Art. 5.2.1)

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 did not name the referent."""
            state["referent_id"] = None

        def apply_to(self, request: Request) -> None:
            request.escalations.append(
                {
                    "partner": self.partner,
                    "at": self.at,
                    "answered_at": None,
                    "referent_id": self.referent_id,
                }
            )
            request.status = Status.ESCALATED

    class PartnerAnswered(Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("summary",)
        envelope_id: UUID
        partner: str
        at: datetime
        summary: str | None

        def apply_to(self, request: Request) -> None:
            for escalation in request.escalations:
                if escalation["partner"] == self.partner and escalation["answered_at"] is None:
                    escalation["answered_at"] = self.at
            request.status = Status.ANSWERED

    class ActedOnBehalf(Event):
        mandate_id: UUID
        partner: str
        scope: str
        procedure: str
        at: datetime

        def apply_to(self, request: Request) -> None:
            request.actions.append(
                {
                    "mandate_id": self.mandate_id,
                    "partner": self.partner,
                    "scope": self.scope,
                    "procedure": self.procedure,
                    "at": self.at,
                }
            )

    class Resolved(Event):
        outcome: str
        at: datetime

        def apply_to(self, request: Request) -> None:
            request.status = Status.RESOLVED
            request.outcome = self.outcome
            request.resolved_at = self.at

    class Reopened(Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("reason",)
        envelope_id: UUID
        at: datetime
        reason: str | None

        def apply_to(self, request: Request) -> None:
            request.status = Status.ANSWERED if request.first_response_at else Status.OPEN
            request.resolved_at = None
            request.outcome = None

    class PersonalDataDestroyed(Event):
        envelope_id: UUID
        reason: str
        at: datetime

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 recorded the destruction at the event's own time."""
            state["at"] = state["timestamp"]

        def apply_to(self, request: Request) -> None:
            request.destroyed_at = self.at
            request.destruction_reason = self.reason
            request.user = None
            for response in request.responses:
                response["summary"] = None

    # Commands. ``data_due_at`` is decided by the Ledger (retention policy) and recorded.

    @classmethod
    def open(
        cls,
        *,
        structure_id: UUID,
        channel: Channel,
        partner: str,
        mission: Mission,
        theme: str,
        received_at: datetime,
        user: dict[str, Any],
        due_at: datetime | None,
        rule_version: str,
        data_due_at: datetime,
        new_visitor: bool | None = None,
        actor: Actor,
        now: datetime,
    ) -> Request:
        received_at = require_not_after(received_at, now, "received_at")
        return cls._create(
            cls.Opened,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            structure_id=structure_id,
            channel=channel.value,
            partner=partner,
            mission=mission.value,
            theme=require_code(theme, "theme"),
            received_at=received_at,
            envelope_id=uuid4(),
            user=validate_person(user, "user"),
            due_at=due_at,
            rule_version=rule_version,
            data_due_at=data_due_at,
            new_visitor=new_visitor,
        )

    def _check_open(self) -> None:
        if self.destroyed_at is not None:
            raise PersonalDataDestroyedError("the personal data of this request were destroyed")
        if self.status == Status.RESOLVED:
            raise RequestResolved("the request is resolved; reopen it first")

    def _check_time(self, at: datetime, now: datetime) -> datetime:
        instant = require_not_after(at, now, "at")
        if instant < self.received_at:
            raise InvalidInput("at cannot be before the request was received", field="at")
        return instant

    def assign(self, adviser: str, *, data_due_at: datetime, actor: Actor, now: datetime) -> None:
        self._check_open()
        self.trigger_event(
            self.AdviserAssigned,
            timestamp=now,
            actor=actor,
            adviser=require_code(adviser, "adviser"),
            data_due_at=data_due_at,
        )

    def respond(
        self, at: datetime, summary: str, *, data_due_at: datetime, actor: Actor, now: datetime
    ) -> None:
        self._check_open()
        at = self._check_time(at, now)
        self.trigger_event(
            self.Responded,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            at=at,
            summary=require_text(summary, "summary"),
            data_due_at=data_due_at,
        )

    def escalate(
        self,
        partner: str,
        reason: str,
        at: datetime,
        *,
        referent_id: UUID | None = None,
        data_due_at: datetime,
        actor: Actor,
        now: datetime,
    ) -> None:
        self._check_open()
        at = self._check_time(at, now)
        self.trigger_event(
            self.Escalated,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            partner=partner,
            at=at,
            reason=require_text(reason, "reason"),
            referent_id=referent_id,
            data_due_at=data_due_at,
        )

    def record_partner_answer(
        self,
        partner: str,
        summary: str,
        at: datetime,
        *,
        data_due_at: datetime,
        actor: Actor,
        now: datetime,
    ) -> None:
        self._check_open()
        at = self._check_time(at, now)
        if not any(e["partner"] == partner and e["answered_at"] is None for e in self.escalations):
            raise RuleViolation(
                "no open escalation to this partner", field="partner", code="no_open_escalation"
            )
        self.trigger_event(
            self.PartnerAnswered,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            partner=partner,
            at=at,
            summary=require_text(summary, "summary"),
            data_due_at=data_due_at,
        )

    def record_action(
        self,
        mandate_id: UUID,
        partner: str,
        scope: ScopeKind,
        procedure: str,
        at: datetime,
        *,
        data_due_at: datetime,
        actor: Actor,
        now: datetime,
    ) -> None:
        self._check_open()
        at = self._check_time(at, now)
        self.trigger_event(
            self.ActedOnBehalf,
            timestamp=now,
            actor=actor,
            mandate_id=mandate_id,
            partner=partner,
            scope=scope.value,
            procedure=require_code(procedure, "procedure"),
            at=at,
            data_due_at=data_due_at,
        )

    def resolve(
        self, outcome: Outcome, at: datetime, *, data_due_at: datetime, actor: Actor, now: datetime
    ) -> None:
        self._check_open()
        at = self._check_time(at, now)
        self.trigger_event(
            self.Resolved,
            timestamp=now,
            actor=actor,
            outcome=outcome.value,
            at=at,
            data_due_at=data_due_at,
        )

    def reopen(
        self, reason: str, at: datetime, *, data_due_at: datetime, actor: Actor, now: datetime
    ) -> None:
        if self.status != Status.RESOLVED:
            raise RuleViolation(
                "only a resolved request can be reopened", code="request_not_resolved"
            )
        if self.destroyed_at is not None:
            raise PersonalDataDestroyedError("the personal data of this request were destroyed")
        at = self._check_time(at, now)
        self.trigger_event(
            self.Reopened,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            at=at,
            reason=require_text(reason, "reason", 500),
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
        """Records the destruction (at ``at``, default now); ``False`` (and no event) when
        already destroyed. The reason must fit the case: ``procedure_resolved`` a resolved case,
        ``inactive`` an unresolved one; ``retention_expired`` is a mandate's."""
        if self.destroyed_at is not None:
            return False
        resolved = self.status == Status.RESOLVED
        fitting = {DestructionReason.PROCEDURE_RESOLVED if resolved else DestructionReason.INACTIVE}
        require_fitting(reason, fitting, f"a {self.status} request")
        self.trigger_event(
            self.PersonalDataDestroyed,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            reason=reason.value,
            at=destruction_instant(at, self.modified_on, now),
            data_due_at=self.data_due_at,
        )
        return True

    @property
    def last_activity_at(self) -> datetime:
        return self.modified_on

    @property
    def is_resolved(self) -> bool:
        return self.status == Status.RESOLVED
