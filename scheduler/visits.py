"""Visit tokens tell whether a person was already seen at a structure in a quarter (the quarterly
count of distinct users). Only the current and the previous quarter are kept: older tokens are
deleted, and the store scrubs them (docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.working_time import quarter_of
from scheduler.jobs import Context, Report

PARIS = ZoneInfo("Europe/Paris")


def previous_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}-Q4" if number == 1 else f"{year}-Q{number - 1}"


@dataclass
class VisitTokenJob:
    context: Context
    name: str = "visit_tokens"

    def tick(self, now: datetime) -> Report:
        """Deletes the tokens of every quarter before the previous one, quarters taken in Paris
        time (structures west of Paris lose their oldest quarter a few hours early)."""
        report = Report(self.name)
        keep_from = previous_quarter(quarter_of(now, PARIS))
        report.count("purged", self.context.ledger.personal_data.purge_visit_tokens(keep_from))
        return report
