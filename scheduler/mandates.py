"""Art. 4.6: a mandate ends at its ``valid_until``. The scheduler records the expiry on the
mandate when that instant has passed (acting under it is refused from that instant whether or
not it is recorded), and warns the structure's supervisors ``notice_days`` before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.actor import SYSTEM
from domain.alert import AlertKind, AlertLevel
from projections.db import iso
from scheduler.jobs import Context, Report

ENDING = (
    "SELECT m.mandate_id, m.structure_id, m.valid_until, EXISTS (SELECT 1 FROM {alerts} a "
    "WHERE a.subject_id = m.mandate_id AND a.kind = 'mandate') FROM {mandates} m "
    "WHERE m.revoked_at IS NULL AND m.expired_at IS NULL AND m.destroyed_at IS NULL "
    "AND m.valid_until <= :horizon"
)


@dataclass
class MandateJob:
    context: Context
    notice_days: int = 30
    name: str = "mandates"

    def tick(self, now: datetime) -> Report:
        report = Report(self.name)
        horizon = now + timedelta(days=self.notice_days)
        with self.context.reading() as tx:
            rows = tx.all(ENDING, {"horizon": iso(horizon)})
        for mandate_id, structure_id, until_text, notified in self.context.each(report, rows):
            valid_until = datetime.fromisoformat(until_text)
            if not notified:
                self.context.raise_alert(
                    report,
                    kind=AlertKind.MANDATE,
                    subject_id=UUID(mandate_id),
                    due_at=valid_until - timedelta(days=self.notice_days),
                    level=AlertLevel.WARNING,
                    structure_id=structure_id,
                    now=now,
                )
            mandates = self.context.ledger.mandates
            if valid_until <= now and mandates.expire_mandate(
                UUID(mandate_id), actor=SYSTEM, now=now
            ):
                report.count("expired")
        return report
