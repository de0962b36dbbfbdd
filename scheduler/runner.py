"""Runs the jobs on time: APScheduler triggers each job at its interval, in the one process that
holds the leader lock; every other process waits and takes over within one interval when the
leader dies (its lock dies with it)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from projections.db import ViewDb
from scheduler import heartbeat
from scheduler.jobs import Job, Report

log = structlog.get_logger()


class LeaderLock(Protocol):
    """Held by one process at a time; released when the process dies (``store.leader``)."""

    def acquire(self) -> bool:
        """Takes the lock if it is free, without waiting; ``True`` while this process holds it."""

    def release(self) -> None: ...


@dataclass(frozen=True)
class Planned:
    job: Job
    every: timedelta


class Scheduler:
    def __init__(
        self,
        planned: Sequence[Planned],
        lock: LeaderLock,
        db: ViewDb,
        clock: Callable[[], datetime],
        identity: str,
        stopping: threading.Event | None = None,
    ) -> None:
        """``stopping``: the event the jobs' context reads (``Context.each``), set by ``stop``
        so that a tick under way ends after its current row instead of keeping the process up."""
        self.planned = list(planned)
        self.lock = lock
        self.db = db
        self.clock = clock
        self.identity = identity
        self.stopping = stopping or threading.Event()
        self._apscheduler: BackgroundScheduler | None = None

    def run(self, job: Job) -> Report | None:
        """One tick of ``job`` at the clock's now if this process leads; ``None`` otherwise."""
        if not self.lock.acquire():
            return None
        now = self.clock()
        report = job.tick(now)
        heartbeat.record(self.db, report, now, self.identity)
        if report.done:
            log.info("tick", job=job.name, **report.done)
        return report

    def run_all(self) -> list[Report]:
        """Every job once, in order (``ledger scheduler run --once``, tests)."""
        return [report for p in self.planned if (report := self.run(p.job)) is not None]

    def start(self) -> None:
        """Starts the jobs in a background thread; each runs at once, then at its interval."""
        self.stopping.clear()
        scheduler = BackgroundScheduler(timezone=UTC)
        for p in self.planned:
            scheduler.add_job(
                self._guarded,
                IntervalTrigger(seconds=p.every.total_seconds(), timezone=UTC),
                args=[p.job],
                id=p.job.name,
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
            )
        scheduler.start()
        self._apscheduler = scheduler

    def _guarded(self, job: Job) -> None:
        """A failing tick is logged and tried again at the next interval, never fatal."""
        try:
            self.run(job)
        except Exception as error:  # noqa: BLE001 - the scheduler outlives one failing tick
            log.error("tick_failed", job=job.name, error=type(error).__name__)

    def next_runs(self) -> dict[str, datetime | None]:
        if self._apscheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._apscheduler.get_jobs()}

    def stop(self) -> None:
        """Ends the tick under way after its current row, then waits for it."""
        self.stopping.set()
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=True)
            self._apscheduler = None
        self.lock.release()
