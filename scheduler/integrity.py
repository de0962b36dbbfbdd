"""The chain checked every hour, and its head anchored outside the database when it holds.

``ledger verify``'s walk (every link recomputed, then the latest anchor compared) runs as a job:
a tampered log turns ``/v1/health`` to ``error`` within the hour, and its head is never
anchored (an anchor of a tampered head would launder it). When the chain holds and anchors are
configured, the head is written, signed, outside the database (``store.anchors``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from scheduler.jobs import Report

log = structlog.get_logger()


@dataclass(frozen=True)
class Integrity:
    ok: bool
    verified_through: int
    first_bad_position: int | None
    problem: str | None  # the anchor's objection, when the chain alone holds
    anchored_position: int | None  # None: not anchored (no anchor file, empty or broken log)


@dataclass
class IntegrityJob:
    check: Callable[[datetime], Integrity]
    name: str = "integrity"

    def tick(self, now: datetime) -> Report:
        report = Report(self.name)
        found = self.check(now)
        report.count("verified_through", found.verified_through)
        if found.anchored_position is not None:
            report.count("anchored_position", found.anchored_position)
        if not found.ok:
            report.count("broken")
            report.count("first_bad_position", found.first_bad_position or 0)
            log.error(
                "integrity_broken",
                first_bad_position=found.first_bad_position,
                problem=found.problem,
            )
        return report
