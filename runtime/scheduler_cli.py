"""``ledger scheduler run | status``."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from projections import VIEW_TABLES, retention
from runtime.settings import Settings
from runtime.wiring import open_ledger, open_scheduler, open_view_db
from scheduler import heartbeat


def add_commands(commands: Any) -> None:
    scheduler = commands.add_parser("scheduler", help="run the scheduled jobs, or show them")
    sub = scheduler.add_subparsers(dest="scheduler_command", required=True)
    run = sub.add_parser("run", help="run the jobs at their intervals (the leader acts)")
    run.add_argument("--once", action="store_true", help="one tick of every job, then stop")
    sub.add_parser("status", help="the leader, each job's last tick and next run, what is pending")


def run_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.scheduler_command == "status":
        return _status(settings)
    return _run(settings, once=args.once)


def _now() -> datetime:
    return datetime.now(UTC)


def _run(settings: Settings, *, once: bool) -> int:
    ledger, views = open_ledger(settings, writer=False), open_view_db(settings)
    scheduler = open_scheduler(settings, ledger, views, clock=_now)
    try:
        if once:
            reports = scheduler.run_all()
            print(json.dumps({r.job: r.done for r in reports}))
            return 0 if reports else 1
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        scheduler.start()
        stop.wait()
        return 0
    finally:
        scheduler.stop()
        views.close()
        ledger.close()


def _status(settings: Settings) -> int:
    views = open_view_db(settings)
    try:
        ticks = heartbeat.ticks(views)
        with views.reading(VIEW_TABLES) as tx:
            due = len(retention.due(tx, _now(), 100_000))
            (open_alerts,) = tx.one("SELECT COUNT(*) FROM {alerts} WHERE status = 'open'") or (0,)
    finally:
        views.close()
    every = timedelta(seconds=settings.scheduler_interval_seconds)
    leader = max(ticks, key=lambda t: t["ticked_at"])["leader"] if ticks else None
    print(f"leader: {leader or 'none yet'}")
    print(f"{'job':<14} {'last tick':<26} {'next run (about)':<26} done")
    for tick in ticks:
        last, upcoming = tick["ticked_at"].isoformat(), (tick["ticked_at"] + every).isoformat()
        print(f"{tick['job']:<14} {last:<26} {upcoming:<26} {tick['done']}")
    print(f"pending: {due} envelope(s) due for destruction, {open_alerts} open alert(s)")
    return 0
