"""Art. 4.6: personal data are destroyed when they fall due: at resolution (plus any grace), after
a long inactivity, at the end of a mandate's proof period. Every envelope due is destroyed (its
key deleted and the event recorded in one transaction) with the reason the retention view gives.
A destruction that fails raises a critical alert for the DPO and is tried again next tick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog

from domain.actor import SYSTEM
from domain.alert import AlertKind, AlertLevel
from projections import retention
from scheduler.jobs import Context, Report

log = structlog.get_logger()


@dataclass
class RetentionJob:
    context: Context
    batch: int = 1000
    name: str = "retention"

    def tick(self, now: datetime) -> Report:
        report = Report(self.name)
        with self.context.reading() as tx:
            due = retention.due(tx, now, self.batch)
        try:
            self._destroy(due, report, now)
        finally:
            # once for the whole batch, and every tick: a scrub an older reader deferred is
            # tried again until it is done
            if not self.context.ledger.personal_data.scrub():
                report.count("scrub_pending")
        return report

    def _destroy(self, due: list[dict[str, str]], report: Report, now: datetime) -> None:
        personal_data = self.context.ledger.personal_data
        for row in self.context.each(report, due):
            try:
                personal_data.destroy_envelope(
                    UUID(row["envelope_id"]),
                    reason=row["reason"],
                    actor=SYSTEM,
                    now=now,
                    scrub=False,
                )
            except Exception as error:  # noqa: BLE001 - one failure must not stop the others
                log.error(
                    "destruction_failed", envelope_id=row["envelope_id"], error=type(error).__name__
                )
                report.count("failed")
                self.context.raise_alert(
                    report,
                    kind=AlertKind.RETENTION,
                    subject_id=UUID(row["owner_id"]),
                    due_at=datetime.fromisoformat(row["data_due_at"]),
                    level=AlertLevel.CRITICAL,
                    structure_id=row["structure_id"],
                    now=now,
                )
                continue
            report.count("destroyed")
