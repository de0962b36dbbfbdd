"""The real runner on a real store, both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domain.application import Ledger
from projections import ALL
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_runner


@pytest.fixture
def runner(settings: Settings) -> Iterator[ProjectionRunner]:
    opened, reader = open_runner(settings)
    yield opened
    opened.db.close()
    reader.close()


def view_rows(
    runner: ProjectionRunner, names: tuple[str, ...] | None = None
) -> dict[str, list[Any]]:
    """Every row of every view table, sorted: what 'equal row for row' compares."""
    tables = [t for p in ALL if names is None or p.name in names for t in p.tables]
    with runner.db.reading() as tx:
        return {table: sorted(tx.all(f"SELECT * FROM {table}"), key=repr) for table in tables}


@pytest.fixture
def caught_up(runner: ProjectionRunner, ledger: Ledger) -> ProjectionRunner:
    """Use after the given events: runs every view to the head of the log."""
    runner.run_until_idle()
    return runner
