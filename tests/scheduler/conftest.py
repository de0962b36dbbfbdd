"""The scheduler's jobs on a real Ledger and real views, both backends, with a recording sink."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from application.ledger import Ledger
from projections import VIEW_TABLES
from projections.runner import ProjectionRunner
from scheduler.jobs import Context, Job, Notice, Report


class Told(list[Notice]):
    """A sink that keeps what it was told."""

    def __call__(self, notice: Notice) -> None:
        self.append(notice)


@pytest.fixture
def told() -> Told:
    return Told()


@pytest.fixture
def context(ledger: Ledger, runner: ProjectionRunner, told: Told) -> Context:
    return Context(ledger, lambda: runner.db.reading(VIEW_TABLES), told)


@pytest.fixture
def tick(runner: ProjectionRunner) -> Callable[[Job, datetime], Report]:
    """One tick of a job at ``now``, on views brought up to date first (as the runner does)."""

    def run(job: Job, now: datetime) -> Report:
        runner.run_until_idle()
        return job.tick(now)

    return run
