"""``ledger projections run | rebuild | status``."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from tqdm import tqdm

from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_runner


def add_commands(commands: Any) -> None:
    projections = commands.add_parser("projections", help="run, rebuild or inspect the views")
    sub = projections.add_subparsers(dest="projections_command", required=True)
    run = sub.add_parser("run", help="follow the log and keep the views up to date")
    run.add_argument("--view", action="append", help="only this view (repeatable)")
    run.add_argument("--until-idle", action="store_true", help="stop once every view is caught up")
    run.add_argument("--batch", type=int, default=500, help="events per transaction (default 500)")
    rebuild = sub.add_parser("rebuild", help="rebuild views from zero into fresh tables, then swap")
    rebuild.add_argument("name", nargs="*", help="views to rebuild (default: all)")
    sub.add_parser("status", help="each view's position, lag and state")


def run_command(settings: Settings, args: argparse.Namespace) -> int:
    names = getattr(args, "view", None) or getattr(args, "name", None) or None
    runner, parts = open_runner(settings, names)
    try:
        return {"run": _run, "rebuild": _rebuild, "status": _status}[args.projections_command](
            runner, settings, args
        )
    finally:
        runner.db.close()
        parts.close()


def _run(runner: ProjectionRunner, settings: Settings, args: argparse.Namespace) -> int:
    runner.batch = args.batch
    if args.until_idle:
        print(f"{runner.run_until_idle()} events projected")
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runner.run_forever(stop.is_set, _waiter(settings, stop))
    return 0


def _waiter(settings: Settings, stop: threading.Event) -> Callable[[float], object]:
    """PostgreSQL wakes the runner with the NOTIFY of each insert; SQLite polls."""
    if settings.backend == "sqlite":
        return stop.wait
    listener = psycopg.connect(settings.database_url.split("?")[0], autocommit=True)
    listener.execute("LISTEN ledger_events")

    def wait(seconds: float) -> None:
        for _ in listener.notifies(timeout=seconds, stop_after=1):
            break

    return wait


def _rebuild(runner: ProjectionRunner, _: Settings, args: argparse.Namespace) -> int:
    names = args.name or list(runner.projections)
    if len(names) == 1:
        with tqdm(total=runner.head(), desc=names[0], unit="ev", mininterval=0.5) as bar:
            position = runner.rebuild(names[0], progress=bar.update)
    else:  # one pass over the log for all of them
        with tqdm(total=runner.head(), desc="views", unit="ev", mininterval=0.5) as bar:
            position = runner.rebuild_all(names, progress=bar.update)
    print(f"{', '.join(names)}: rebuilt through position {position}")
    return 0


def _status(runner: ProjectionRunner, _: Settings, __: argparse.Namespace) -> int:
    print(f"{'view':<14} {'position':>10} {'lag':>8}  status")
    for view in runner.status():
        failed = f" at {view.failed_position}: {view.error}" if view.status == "failed" else ""
        print(f"{view.view:<14} {view.position:>10} {view.lag:>8}  {view.status}{failed}")
    return 0
