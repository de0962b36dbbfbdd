"""What every job shares: its report, the views it reads, the alerts it raises and tells."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from application.ledger import Ledger
from domain.actor import SYSTEM
from domain.alert import AlertKind, AlertLevel
from projections.db import Tx


@dataclass
class Report:
    """What one tick of one job did: counts by what (``raised``, ``expired``, ``destroyed``...)
    and the alerts it raised (to be told)."""

    job: str
    done: dict[str, int] = field(default_factory=dict)
    alerts: list[UUID] = field(default_factory=list)

    def count(self, what: str, n: int = 1) -> None:
        self.done[what] = self.done.get(what, 0) + n


@dataclass(frozen=True)
class Notice:
    """An alert as the sinks tell it: ids, kind, level and instants, never personal data."""

    alert_id: UUID
    kind: str
    level: str
    subject_id: UUID
    due_at: datetime
    raised_at: datetime
    structure_id: str | None


Row = TypeVar("Row")
Notify = Callable[[Notice], None]
Reading = Callable[[], AbstractContextManager[Tx]]


class Job(Protocol):
    name: str

    def tick(self, now: datetime) -> Report: ...


@dataclass
class Context:
    """What the jobs work with: the Ledger (commands), the views (a read snapshot each tick),
    the sinks (told of each alert raised), and ``stopping``, set when the scheduler stops: a
    tick walks its rows through ``each``, which ends it after the row under way (the rest is
    the next tick's: every job is idempotent), so a server stops in seconds even when a tick
    has thousands of alerts to raise."""

    ledger: Ledger
    reading: Reading
    notify: Notify
    stopping: threading.Event = field(default_factory=threading.Event)

    def each(self, report: Report, rows: Iterable[Row]) -> Iterator[Row]:
        """The rows one by one until the scheduler stops; ``interrupted`` counts a cut tick."""
        for row in rows:
            if self.stopping.is_set():
                report.count("interrupted")
                return
            yield row

    def raise_alert(
        self,
        report: Report,
        *,
        kind: AlertKind,
        subject_id: UUID,
        due_at: datetime,
        level: AlertLevel,
        structure_id: str | None,
        now: datetime,
    ) -> None:
        """Raises the alert unless it was raised before, and tells the sinks of a new one."""
        alert, raised = self.ledger.alerts.raise_alert(
            kind=kind, subject_id=subject_id, due_at=due_at, level=level, actor=SYSTEM, now=now
        )
        if not raised:
            return
        report.count(f"{kind}_{level}")
        report.alerts.append(alert.id)
        self.notify(Notice(alert.id, kind, level, subject_id, alert.due_at, now, structure_id))
