"""The chain's head, signed and written outside the database every hour (``store.anchors``):
a log later cut short, or rewritten from an earlier event, no longer holds against it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from scheduler.jobs import Report


@dataclass
class AnchorJob:
    write: Callable[[datetime], int | None]  # the anchored position, None for an empty log
    name: str = "anchor"

    def tick(self, now: datetime) -> Report:
        report = Report(self.name)
        position = self.write(now)
        if position is not None:
            report.count("anchored_position", position)
        return report
