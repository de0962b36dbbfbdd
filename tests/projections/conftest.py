"""The real runner on a real store, both backends."""

from __future__ import annotations

import pytest

from application.ledger import Ledger
from projections.runner import ProjectionRunner


@pytest.fixture
def caught_up(runner: ProjectionRunner, ledger: Ledger) -> ProjectionRunner:
    """Use after the given events: runs every view to the head of the log."""
    runner.run_until_idle()
    return runner
