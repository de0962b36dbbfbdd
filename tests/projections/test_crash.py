"""A runner killed with SIGKILL mid-batch leaves views that a restart completes exactly."""

import os
import signal
import subprocess
import sys
import time

from application.ledger import Ledger
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from tests.builders import ADVISER, NOW, view_rows
from tests.projections.bulk import bulk_requests


def positions(runner: ProjectionRunner) -> list[int]:
    return [s.position for s in runner.status()]


def test_a_runner_killed_mid_batch_resumes_to_views_equal_to_a_clean_rebuild(
    ledger: Ledger, settings: Settings, structure: str, runner: ProjectionRunner
) -> None:
    # enough events for the kill to land mid-run: the PostgreSQL runner is slower per event
    bulk_requests(
        ledger, structure, 3000 if settings.backend == "sqlite" else 1000, start=NOW, actor=ADVISER
    )
    head = runner.head()
    env = {**os.environ, "LEDGER_DATABASE_URL": settings.database_url}
    child = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "projections", "run", "--batch", "25"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(0 < p < head for p in positions(runner)):
            assert child.poll() is None, "the runner died on its own"
            assert time.monotonic() < deadline, "the runner never started"
            time.sleep(0.02)
        time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    interrupted = positions(runner)
    assert min(interrupted) < head, "killed before finishing"

    runner.run_until_idle()
    resumed = view_rows(runner)
    for name in runner.projections:
        runner.rebuild(name)
    assert view_rows(runner) == resumed
    assert positions(runner) == [head] * len(runner.projections)
