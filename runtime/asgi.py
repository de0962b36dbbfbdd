"""The HTTP process: the API's services built from the settings, and the ASGI factory uvicorn
workers import (``ledger serve --workers N``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from api.app import create_app
from api.deps import Services
from domain.working_time import preload
from runtime.logs import configure_logging
from runtime.settings import Settings
from runtime.wiring import (
    leader_lock,
    open_ledger,
    open_runner,
    open_scheduler,
    open_tokens,
    open_view_db,
)
from scheduler import heartbeat
from scheduler.runner import LeaderLock

VIEWS_RETRY_SECONDS = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


def build_app(
    settings: Settings,
    *,
    embedded_projections: bool | None = None,
    embedded_scheduler: bool | None = None,
    clock: Callable[[], datetime] = _now,
) -> FastAPI:
    """On SQLite (``make run``) the app also runs the projection runner and the scheduler in
    background threads, so one process serves everything; on PostgreSQL, they run as their own
    ``ledger projections run`` and ``ledger scheduler run`` processes unless asked otherwise."""
    sqlite = settings.backend == "sqlite"
    embedded = sqlite if embedded_projections is None else embedded_projections
    scheduling = sqlite if embedded_scheduler is None else embedded_scheduler

    @contextmanager
    def services() -> Iterator[Services]:
        preload(clock().year)
        ledger = open_ledger(settings)
        runner, _ = open_runner(settings, parts=ledger.store)
        views, scheduler_views = open_view_db(settings), open_view_db(settings)
        scheduler = open_scheduler(settings, ledger, scheduler_views, clock=clock)
        stop = threading.Event()
        worker = threading.Thread(target=_run_views, args=(settings, stop), daemon=True)
        if embedded:
            worker.start()
        if scheduling:
            scheduler.start()
        try:
            yield Services(
                ledger=ledger,
                views=views,
                tokens=open_tokens(views),
                runner=runner,
                clock=clock,
                open_views=lambda: open_view_db(settings),
                backend=settings.backend,
                last_tick=lambda: heartbeat.last_tick(scheduler_views),
                tick_every=timedelta(seconds=settings.scheduler_interval_seconds),
                started_at=clock(),
                integrity=lambda: heartbeat.integrity(scheduler_views),
            )
        finally:
            stop.set()
            scheduler.stop()
            if embedded:
                worker.join(timeout=10)
            for close in (runner.db.close, views.close, scheduler_views.close, ledger.close):
                close()

    return create_app(services, max_body_bytes=settings.max_body_bytes)


def views_lock(settings: Settings, stop: threading.Event) -> LeaderLock | None:
    """The ``views`` lock once this worker holds it; ``None`` if stopped while waiting."""
    lock = leader_lock(settings, "views")
    while not lock.acquire():
        if stop.wait(VIEWS_RETRY_SECONDS):
            return None
    return lock


def _run_views(settings: Settings, stop: threading.Event) -> None:
    """One runner per server, not one per worker: the workers would only take turns on the
    same views (and on SQLite, on its one write lock). The worker holding the ``views`` lock
    runs it; the others try again every few seconds, so one takes over if it stops."""
    lock = views_lock(settings, stop)
    if lock is None:
        return
    runner, reader = open_runner(settings)
    try:
        runner.run_forever(stop.is_set, stop.wait)
    finally:
        runner.db.close()
        reader.close()
        lock.release()


def app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level)
    return build_app(settings)
