"""Art. 4.2: a request answered by e-mail or form is due 72 working hours after receipt. Its
structure's supervisors are warned when less than ``warning_hours`` working hours remain, and
told again (critical) once the deadline passed without a first response."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.alert import AlertKind, AlertLevel
from domain.sla_state import DUE_SOON
from domain.working_time import BusinessCalendar
from projections.db import from_iso, iso
from scheduler.jobs import Context, Report

# The longest run of non-working days (Alsace-Moselle: Good Friday to Easter Monday) plus margin:
# a warning instant is never further than this, plus the warning hours, before its deadline.
LONGEST_BREAK = timedelta(days=5)

CANDIDATES = (
    "SELECT s.request_id, s.structure_id, s.due_at, s.due_soon_at, c.department, "
    "c.whit_monday_worked FROM {sla} s JOIN {sla_structures} c ON c.structure_id = s.structure_id "
    "WHERE s.due_at IS NOT NULL AND s.first_response_at IS NULL AND s.status <> 'resolved' "
    "AND s.due_at <= :horizon AND NOT EXISTS (SELECT 1 FROM {alerts} a "
    "WHERE a.subject_id = s.request_id AND a.kind = 'sla' AND a.level = 'critical')"
)


@dataclass
class SlaJob:
    context: Context
    warning_hours: float = DUE_SOON.total_seconds() / 3600
    name: str = "sla"

    def tick(self, now: datetime) -> Report:
        report = Report(self.name)
        horizon = now + timedelta(hours=self.warning_hours) + LONGEST_BREAK
        with self.context.reading() as tx:
            rows = tx.all(CANDIDATES, {"horizon": iso(horizon)})
        calendars: dict[tuple[str, bool], BusinessCalendar] = {}
        for (
            request_id,
            structure_id,
            due_text,
            due_soon_text,
            department,
            whit,
        ) in self.context.each(report, rows):
            due_at = datetime.fromisoformat(due_text)
            warn_at = self._warning_at(due_at, from_iso(due_soon_text), department, whit, calendars)
            subject = UUID(request_id)
            for level, at in ((AlertLevel.WARNING, warn_at), (AlertLevel.CRITICAL, due_at)):
                if at <= now:
                    self.context.raise_alert(
                        report,
                        kind=AlertKind.SLA,
                        subject_id=subject,
                        due_at=at,
                        level=level,
                        structure_id=structure_id,
                        now=now,
                    )
        return report

    def _warning_at(
        self,
        due_at: datetime,
        due_soon_at: datetime | None,
        department: str,
        whit_monday_worked: object,
        calendars: dict[tuple[str, bool], BusinessCalendar],
    ) -> datetime:
        """The view holds the instant 24 working hours before the deadline; another threshold
        is rewound on the structure's calendar."""
        if due_soon_at is not None and self.warning_hours == DUE_SOON.total_seconds() / 3600:
            return due_soon_at
        key = (str(department), bool(whit_monday_worked))
        if key not in calendars:
            calendars[key] = BusinessCalendar(*key)
        return calendars[key].rewind(due_at, self.warning_hours)
