"""GDPR 33: a breach that must be notified is notified to the CNIL within 72 hours of awareness.
The DPO is warned at each threshold before the deadline (24, 12 and 0 hours by default) and told
again (critical) once it passed without the initial notification."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.alert import AlertKind, AlertLevel
from projections.db import iso
from scheduler.jobs import Context, Report

CANDIDATES = (
    "SELECT b.breach_id, b.cnil_deadline FROM {breaches} b "
    "WHERE b.notified_at IS NULL AND b.closed_at IS NULL AND b.notification_required = 1 "
    "AND b.cnil_deadline <= :horizon AND NOT EXISTS (SELECT 1 FROM {alerts} a "
    "WHERE a.subject_id = b.breach_id AND a.kind = 'cnil' AND a.level = 'critical')"
)


@dataclass
class CnilJob:
    context: Context
    warning_hours: Sequence[float] = (24, 12, 0)
    name: str = "cnil"

    def tick(self, now: datetime) -> Report:
        report = Report(self.name)
        horizon = now + timedelta(hours=max(self.warning_hours, default=0))
        with self.context.reading() as tx:
            rows = tx.all(CANDIDATES, {"horizon": iso(horizon)})
        for breach_id, deadline_text in self.context.each(report, rows):
            deadline = datetime.fromisoformat(deadline_text)
            due = [(AlertLevel.WARNING, deadline - timedelta(hours=h)) for h in self.warning_hours]
            if now > deadline:
                due.append((AlertLevel.CRITICAL, deadline))
            for level, at in due:
                if at <= now:
                    self.context.raise_alert(
                        report,
                        kind=AlertKind.CNIL,
                        subject_id=UUID(breach_id),
                        due_at=at,
                        level=level,
                        structure_id=None,
                        now=now,
                    )
        return report
