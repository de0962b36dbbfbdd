"""Ledger commands on alerts: raise (once), acknowledge."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from domain.alert import Alert, AlertKind, AlertLevel, alert_id
from domain.common import Actor, parse_enum
from domain.errors import NotFound
from domain.service import LedgerBase


class AlertCommands(LedgerBase):
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
        try:
            self.save(alert)
        except RecordConflictError:
            return self.get_alert(alert_id(parsed_kind, subject_id, due_at, parsed_level)), False
        return alert, True

    def get_alert(self, alert_id: UUID) -> Alert:
        return self._load(Alert, alert_id)

    def acknowledge_alert(
        self,
        alert_id: UUID,
        *,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Alert:
        try:
            return self._update(
                Alert, alert_id, lambda a: a.acknowledge(actor=actor, now=now), expected_version
            )
        except NotFound:
            raise NotFound("no such alert") from None
