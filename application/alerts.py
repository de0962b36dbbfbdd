"""Commands on alerts: raise (once), acknowledge."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.unit import Unit
from domain.actor import Actor
from domain.alert import Alert, AlertKind, AlertLevel
from domain.errors import NotFound
from domain.validation import parse_enum


class AlertCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, alert_id: UUID) -> Alert:
        return self.unit.load(Alert, alert_id)

    def raise_alert(
        self,
        *,
        kind: str,
        subject_id: UUID,
        due_at: datetime,
        level: str,
        actor: Actor,
        now: datetime,
    ) -> tuple[Alert, bool]:
        """Records the alert unless it was raised before; says whether this call raised it."""
        parsed_kind, parsed_level = (
            parse_enum(AlertKind, kind, "kind"),
            parse_enum(AlertLevel, level, "level"),
        )
        alert = Alert.raise_(
            kind=parsed_kind,
            subject_id=subject_id,
            due_at=due_at,
            level=parsed_level,
            actor=actor,
            now=now,
        )
        if not self.unit.save_new(alert):
            return self.get(alert.id), False
        return alert, True

    def acknowledge_alert(
        self,
        alert: UUID | Alert,
        *,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Alert:
        try:
            return self.unit.update(
                Alert, alert, lambda a: a.acknowledge(actor=actor, now=now), expected_version
            )
        except NotFound:
            raise NotFound("no such alert") from None

    def record_delivery(
        self,
        alert: UUID | Alert,
        *,
        sink: str,
        attempt: int,
        delivered: bool,
        detail: str,
        actor: Actor,
        now: datetime,
    ) -> Alert:
        """Records one try to tell someone of the alert, delivered or not."""
        return self.unit.update(
            Alert,
            alert,
            lambda a: a.record_delivery(sink, attempt, delivered, detail, actor=actor, now=now),
        )
