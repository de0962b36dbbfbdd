"""A personal-data breach (GDPR 33, 34; Art. 4.6): register, risk, CNIL notification, subjects."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate, SealedEvent
from domain.errors import (
    BreachStateError,
    InvalidInput,
    LateReasonRequired,
)
from domain.personal_data import DestructionReason, destruction_instant, require_fitting
from domain.policy import Policy, RiskLevel
from domain.retention import add_months
from domain.validation import require_aware, require_not_after, require_text

DUE_SOON = timedelta(hours=24)


class Nature(StrEnum):
    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"


class Phase(StrEnum):
    INITIAL = "initial"
    COMPLEMENTARY = "complementary"


class ExemptionGround(StrEnum):
    """GDPR 34(3): (a) unintelligible data, (b) high risk removed, (c) disproportionate effort."""

    UNINTELLIGIBLE = "unintelligible"
    RISK_REMOVED = "risk_removed"
    DISPROPORTIONATE_EFFORT = "disproportionate_effort"


class BreachState(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NOTIFIED = "notified"
    NOTIFIED_LATE = "notified_late"
    NOT_REQUIRED = "not_required"


def _count(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{field} is an approximate count (0 or more)", field=field)
    return value


def _labels(values: Any, field: str) -> list[str]:
    if not isinstance(values, list) or not values:
        raise InvalidInput(f"{field} lists at least one category", field=field)
    return [require_text(v, f"{field}[{i}]", 200) for i, v in enumerate(values)]


GDPR_33_3_FACTS = (
    "detected_at",
    "nature",
    "description",
    "data_categories",
    "subject_categories",
    "approx_subjects",
    "approx_records",
    "likely_consequences",
    "measures",
    "contact",
)


class Breach(LedgerAggregate):
    def __init__(
        self,
        aware_at: datetime,
        cnil_deadline: datetime,
        notification_threshold: str,
        envelope_id: UUID | None,
        data_due_at: datetime | None,
    ) -> None:
        self.aware_at = aware_at
        self.envelope_id = envelope_id  # the free texts' envelope (None: declared before v2)
        self.data_due_at = data_due_at
        self.destroyed_at: datetime | None = None
        self.cnil_deadline = cnil_deadline
        self.notification_threshold = notification_threshold
        self.risk_level: str | None = None
        self.notifications: list[dict[str, Any]] = []
        self.subjects_informed_at: datetime | None = None
        self.subjects_exemption: str | None = None
        self.closed_at: datetime | None = None
        self.facts: dict[str, Any] = {}
        self.risk_rationale: str | None = None
        self.timeline: list[dict[str, Any]] = []

    def _happened(self, step: str, at: datetime, **details: Any) -> None:
        self.timeline.append({"step": step, "at": at, **details})

    class Declared(LedgerAggregate.Created, SealedEvent):
        """Free texts (which may name a victim) are sealed in the breach's envelope, kept for
        the register's retention (``Policy.breach_retention_years``), then destroyed."""

        personal_fields: ClassVar[tuple[str, ...]] = (
            "description",
            "likely_consequences",
            "measures",
        )
        envelope_id: UUID | None
        data_due_at: datetime | None
        aware_at: datetime
        detected_at: datetime
        nature: list[str]
        description: str
        data_categories: list[str]
        subject_categories: list[str]
        approx_subjects: int
        approx_records: int
        likely_consequences: str
        measures: str
        contact: str
        cnil_deadline: datetime
        notification_threshold: str

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 held its free texts in clear, outside any envelope."""
            state["envelope_id"] = None
            state["data_due_at"] = None

        def apply(self, aggregate: Any) -> None:
            """The GDPR 33(3) facts, kept to read the register back (GDPR 33(5))."""
            breach = cast(Breach, aggregate)
            breach.facts = {name: getattr(self, name) for name in GDPR_33_3_FACTS}
            breach._happened("declared", self.aware_at, detected_at=self.detected_at)

    class RiskAssessed(LedgerAggregate.Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("rationale",)
        envelope_id: UUID | None
        level: str
        rationale: str | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 held its free text in clear, outside any envelope."""
            state["envelope_id"] = None

        def apply(self, aggregate: Any) -> None:
            breach = cast(Breach, aggregate)
            breach.risk_level, breach.risk_rationale = self.level, self.rationale
            breach._happened("risk_assessed", self.timestamp, level=self.level)

    class CnilNotified(LedgerAggregate.Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("late_reason",)
        envelope_id: UUID | None
        phase: str
        at: datetime
        reference: str
        late: bool
        late_reason: str | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 held its free text in clear, outside any envelope."""
            state["envelope_id"] = None

        def apply(self, aggregate: Any) -> None:
            breach = cast(Breach, aggregate)
            details = {
                "phase": self.phase,
                "reference": self.reference,
                "late": self.late,
                "late_reason": self.late_reason,
            }
            breach.notifications.append({"at": self.at, **details})
            breach._happened("cnil_notified", self.at, **details)

    class SubjectsInformed(LedgerAggregate.Event):
        at: datetime
        channel: str

        def apply(self, aggregate: Any) -> None:
            breach = cast(Breach, aggregate)
            breach.subjects_informed_at = self.at
            breach._happened("subjects_informed", self.at, channel=self.channel)

    class SubjectsExempted(LedgerAggregate.Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("rationale",)
        envelope_id: UUID | None
        ground: str
        rationale: str | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 held its free text in clear, outside any envelope."""
            state["envelope_id"] = None

        def apply(self, aggregate: Any) -> None:
            breach = cast(Breach, aggregate)
            breach.subjects_exemption = self.ground
            breach._happened(
                "subjects_exempted", self.timestamp, ground=self.ground, rationale=self.rationale
            )

    class Closed(LedgerAggregate.Event):
        at: datetime

        def apply(self, aggregate: Any) -> None:
            breach = cast(Breach, aggregate)
            breach.closed_at = self.at
            breach._happened("closed", self.at)

    class PersonalDataDestroyed(LedgerAggregate.Event):
        """The register entry's free texts destroyed (its key deleted); its facts stay."""

        envelope_id: UUID
        reason: str
        at: datetime

        def apply(self, aggregate: Any) -> None:
            breach = cast(Breach, aggregate)
            breach.destroyed_at = self.at
            for text in ("description", "likely_consequences", "measures"):
                breach.facts[text] = None
            breach.risk_rationale = None
            for notification in breach.notifications:
                notification["late_reason"] = None
            breach._happened("texts_destroyed", self.at, reason=self.reason)

    @classmethod
    def declare(
        cls,
        *,
        aware_at: datetime,
        detected_at: datetime | None,
        nature: list[str],
        description: str,
        data_categories: list[str],
        subject_categories: list[str],
        approx_subjects: int,
        approx_records: int,
        likely_consequences: str,
        measures: str,
        contact: str,
        policy: Policy,
        actor: Actor,
        now: datetime,
    ) -> Breach:
        """Every GDPR 33(3) field is required; the CNIL deadline is aware_at + configured hours."""
        aware_at = require_not_after(aware_at, now, "aware_at")
        detected = require_not_after(detected_at or aware_at, now, "detected_at")
        natures = _labels(nature, "nature")
        for i, value in enumerate(natures):
            if value not in Nature.__members__.values():
                raise InvalidInput(
                    "nature is confidentiality, integrity or availability", field=f"nature[{i}]"
                )
        return cls._create(
            cls.Declared,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            envelope_id=uuid4(),
            data_due_at=add_months(aware_at, 12 * policy.breach_retention_years),
            aware_at=aware_at,
            detected_at=detected,
            nature=sorted(set(natures)),
            description=require_text(description, "description"),
            data_categories=_labels(data_categories, "data_categories"),
            subject_categories=_labels(subject_categories, "subject_categories"),
            approx_subjects=_count(approx_subjects, "approx_subjects"),
            approx_records=_count(approx_records, "approx_records"),
            likely_consequences=require_text(likely_consequences, "likely_consequences"),
            measures=require_text(measures, "measures"),
            contact=require_text(contact, "contact", 500),
            cnil_deadline=aware_at + timedelta(hours=policy.breach_notification_hours),
            notification_threshold=policy.breach_notification_threshold.value,
        )

    def _check_open(self) -> None:
        if self.closed_at is not None:
            raise BreachStateError("the breach is closed")

    def assess_risk(self, level: RiskLevel, rationale: str, *, actor: Actor, now: datetime) -> None:
        self._check_open()
        self.trigger_event(
            self.RiskAssessed,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            level=level.value,
            rationale=require_text(rationale, "rationale"),
        )

    @property
    def initial_notification(self) -> dict[str, Any] | None:
        return next((n for n in self.notifications if n["phase"] == Phase.INITIAL), None)

    def notify_cnil(
        self,
        phase: Phase,
        at: datetime,
        reference: str,
        late_reason: str | None,
        *,
        actor: Actor,
        now: datetime,
    ) -> None:
        """An initial notification after the deadline must give the reasons for the delay."""
        self._check_open()
        at = require_not_after(at, now, "at")
        if at < self.aware_at:
            raise InvalidInput("a notification cannot precede awareness", field="at")
        initial = self.initial_notification
        if phase == Phase.INITIAL and initial is not None:
            raise BreachStateError(
                "the initial notification was already made", code="already_notified"
            )
        if phase == Phase.COMPLEMENTARY and initial is None:
            raise BreachStateError(
                "a complementary notification follows the initial one",
                code="initial_notification_missing",
            )
        late = phase == Phase.INITIAL and at > self.cnil_deadline
        if late and not (late_reason and late_reason.strip()):
            raise LateReasonRequired(
                "notified after the deadline: the reasons for the delay are required",
                field="late_reason",
            )
        self.trigger_event(
            self.CnilNotified,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            phase=phase.value,
            at=at,
            reference=require_text(reference, "reference", 200),
            late=late,
            late_reason=late_reason if late else None,
        )

    def inform_subjects(self, at: datetime, channel: str, *, actor: Actor, now: datetime) -> None:
        self._check_open()
        at = require_not_after(at, now, "at")
        self.trigger_event(
            self.SubjectsInformed,
            timestamp=now,
            actor=actor,
            at=at,
            channel=require_text(channel, "channel", 200),
        )

    def exempt_subjects(
        self, ground: ExemptionGround, rationale: str, *, actor: Actor, now: datetime
    ) -> None:
        self._check_open()
        self.trigger_event(
            self.SubjectsExempted,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            ground=ground.value,
            rationale=require_text(rationale, "rationale"),
        )

    @property
    def notification_required(self) -> bool:
        """Unassessed breaches are presumed notifiable; ``none`` below the threshold is not."""
        if self.risk_level is None:
            return True
        return RiskLevel(self.risk_level).rank >= RiskLevel(self.notification_threshold).rank

    def close(self, at: datetime, *, actor: Actor, now: datetime) -> None:
        self._check_open()
        at = require_aware(at, "at")
        if self.risk_level is None:
            raise BreachStateError("assess the risk before closing", code="risk_not_assessed")
        if self.notification_required and self.initial_notification is None:
            raise BreachStateError(
                "a notifiable breach must be notified to the CNIL before closing",
                code="cnil_notification_missing",
            )
        if self.risk_level == RiskLevel.HIGH and not (
            self.subjects_informed_at or self.subjects_exemption
        ):
            raise BreachStateError(
                "a high-risk breach needs the data subjects informed or an exemption",
                code="subjects_not_informed",
            )
        self.trigger_event(self.Closed, timestamp=now, actor=actor, at=at)

    def destroy_personal_data(
        self,
        reason: DestructionReason,
        *,
        actor: Actor,
        now: datetime,
        at: datetime | None = None,
    ) -> bool:
        """Destroys the entry's free texts; ``False`` when already destroyed. ``retention_expired``
        fits once the register's retention ended; a person named in them may ask at any time."""
        if self.destroyed_at is not None or self.envelope_id is None:
            return False
        due = self.data_due_at is not None and now >= self.data_due_at
        fitting = {DestructionReason.RETENTION_EXPIRED} if due else set()
        require_fitting(reason, fitting, f"a breach kept in the register until {self.data_due_at}")
        self.trigger_event(
            self.PersonalDataDestroyed,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            reason=reason.value,
            at=destruction_instant(at, self.modified_on, now),
        )
        return True

    def state(self, now: datetime) -> BreachState:
        initial = self.initial_notification
        if initial is not None:
            return BreachState.NOTIFIED_LATE if initial["late"] else BreachState.NOTIFIED
        if not self.notification_required:
            return BreachState.NOT_REQUIRED
        if now >= self.cnil_deadline:
            return BreachState.OVERDUE
        if self.cnil_deadline - now < DUE_SOON:
            return BreachState.DUE_SOON
        return BreachState.ON_TIME

    def remaining_seconds(self, now: datetime) -> int:
        return int((self.cnil_deadline - now).total_seconds())
