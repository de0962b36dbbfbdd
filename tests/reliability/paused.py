"""A projection runner or a scheduler that stops dead in the middle of its work, for the crash
tests: ``python -m tests.reliability.paused runner|scheduler MARKER``.

It patches one step that runs inside the work's transaction (the runner's position update, after
the batch's rows are written) or between two alerts of one tick (the scheduler's second alert),
writes MARKER there and sleeps, so the test's ``kill -9`` provably lands inside.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_ledger, open_runner, open_scheduler, open_view_db
from scheduler.jobs import Context

PAUSE_SECONDS = 600


def pause_runner(marker: Path, view: str, batch: int) -> None:
    advance = ProjectionRunner._advance
    calls = {"n": 0}

    def pausing(tx: Any, name: str, position: int) -> None:
        advance(tx, name, position)
        if name == view:
            calls["n"] += 1
            if calls["n"] == batch:
                marker.write_text(f"{name} {position}")
                time.sleep(PAUSE_SECONDS)

    ProjectionRunner._advance = staticmethod(pausing)  # type: ignore[method-assign]
    runner, _ = open_runner(Settings())
    runner.batch = 25  # many batches: the pause lands in the middle of the run
    runner.run_until_idle()


def pause_scheduler(marker: Path, after_alerts: int) -> None:
    raise_alert = Context.raise_alert
    calls = {"n": 0}

    def pausing(self: Context, *args: Any, **kwargs: Any) -> None:
        raise_alert(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == after_alerts:
            marker.write_text(str(calls["n"]))
            time.sleep(PAUSE_SECONDS)

    Context.raise_alert = pausing  # type: ignore[method-assign]
    settings = Settings()
    ledger, views = open_ledger(settings, writer=False), open_view_db(settings)
    open_scheduler(settings, ledger, views, clock=lambda: datetime.now(UTC)).run_all()


if __name__ == "__main__":
    what, marker = sys.argv[1], Path(sys.argv[2])
    if what == "runner":
        pause_runner(marker, view=sys.argv[3], batch=int(sys.argv[4]))
    else:
        pause_scheduler(marker, after_alerts=int(sys.argv[3]))
