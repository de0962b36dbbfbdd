"""The real runner on a real store, both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.ledger import Ledger
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_runner


@pytest.fixture
def runner(settings: Settings) -> Iterator[ProjectionRunner]:
    opened, reader = open_runner(settings)
    yield opened
    opened.db.close()
    reader.close()


@pytest.fixture
def caught_up(runner: ProjectionRunner, ledger: Ledger) -> ProjectionRunner:
    """Use after the given events: runs every view to the head of the log."""
    runner.run_until_idle()
    return runner
