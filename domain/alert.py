"""An alert: something falls due (an answer, a CNIL notification, a mandate end, a destruction).

The scheduler raises alerts; each is identified by what it is about, so raising the same alert
twice (after a restart, by two schedulers) records it once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.actor import Actor
from domain.aggregate import LedgerAggregate
from domain.errors import RuleViolation
from domain.validation import require_aware, require_code


class AlertKind(StrEnum):
    SLA = "sla"
    CNIL = "cnil"
    MANDATE = "mandate"
    RETENTION = "retention"
    COMPLAINT = "complaint"


class AlertLevel(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


def alert_id(kind: AlertKind, subject_id: UUID, due_at: datetime, level: AlertLevel) -> UUID:
    return uuid5(
        NAMESPACE_URL, f"france-services:alert:{kind}:{subject_id}:{due_at.isoformat()}:{level}"
    )


class Alert(LedgerAggregate):
    def __init__(self, kind: str, subject_id: UUID, due_at: datetime, level: str) -> None:
        self.kind = kind
        self.subject_id = subject_id
        self.due_at = due_at
        self.level = level
        self.acknowledged_at: datetime | None = None
        self.acknowledged_by: str | None = None

    class Raised(LedgerAggregate.Created):
        kind: str
        subject_id: UUID
        due_at: datetime
        level: str

    class DeliveryAttempted(LedgerAggregate.Event):
        """One try to tell someone through a sink (``webhook``, ``email``): whether it got
        through, and what the other side said (a status code or an error type)."""

        sink: str
        attempt: int
        delivered: bool
        detail: str

    class Acknowledged(LedgerAggregate.Event):
        def apply(self, aggregate: Any) -> None:
            alert = cast(Alert, aggregate)
            alert.acknowledged_at = self.timestamp
            alert.acknowledged_by = self.actor.name

    @classmethod
    def raise_(
        cls,
        *,
        kind: AlertKind,
        subject_id: UUID,
        due_at: datetime,
        level: AlertLevel,
        actor: Actor,
        now: datetime,
    ) -> Alert:
        due_at = require_aware(due_at, "due_at")
        return cls._create(
            cls.Raised,
            id=alert_id(kind, subject_id, due_at, level),
            timestamp=now,
            actor=actor,
            kind=kind.value,
            subject_id=subject_id,
            due_at=due_at,
            level=level.value,
        )

    def record_delivery(
        self, sink: str, attempt: int, delivered: bool, detail: str, *, actor: Actor, now: datetime
    ) -> None:
        self.trigger_event(
            self.DeliveryAttempted,
            timestamp=now,
            actor=actor,
            sink=require_code(sink, "sink"),
            attempt=attempt,
            delivered=delivered,
            detail=detail[:200],
        )

    def acknowledge(self, *, actor: Actor, now: datetime) -> None:
        if self.acknowledged_at is not None:
            raise RuleViolation("the alert was already acknowledged", code="alert_acknowledged")
        self.trigger_event(self.Acknowledged, timestamp=now, actor=actor)
