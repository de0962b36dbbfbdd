"""Art. 4.7: a complaint is answered within ``Policy.complaint_answer_days``. The structure's
supervisors are warned three days before the deadline, and told again (critical) once it passed
without an answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.alert import AlertKind, AlertLevel
from projections.complaints import falling_due
from scheduler.jobs import Context, Report


@dataclass
class ComplaintJob:
    context: Context
    name: str = "complaints"

    def tick(self, now: datetime) -> Report:
        report = Report(self.name)
        with self.context.reading() as tx:
            rows = falling_due(tx, now)
        for complaint_id, structure_id, due_text, soon_text in self.context.each(report, rows):
            due_at, soon_at = datetime.fromisoformat(due_text), datetime.fromisoformat(soon_text)
            for level, at in ((AlertLevel.WARNING, soon_at), (AlertLevel.CRITICAL, due_at)):
                if at <= now:
                    self.context.raise_alert(
                        report,
                        kind=AlertKind.COMPLAINT,
                        subject_id=UUID(complaint_id),
                        due_at=at,
                        level=level,
                        structure_id=structure_id,
                        now=now,
                    )
        return report
