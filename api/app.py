"""The app factory: nothing is built at import; the lifespan opens the Ledger on the settings.

On SQLite (``make run``) the lifespan also runs the projection runner in a background thread,
so one process serves everything; on PostgreSQL, views run as their own ``ledger projections
run`` processes unless ``embedded_projections`` asks otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from api import problems
from api.auth import TokenStore
from api.deps import Services, ServicesDep
from api.middleware import AccessLog, BodyLimit
from api.routers import (
    alerts,
    breaches,
    envelopes,
    mandates,
    oversight,
    requests,
    structures,
    subjects,
)
from runtime.settings import Settings

DESCRIPTION = (
    "Request and mandate ledger of France Services counters. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `ledger token create`). Errors are RFC 9457 "
    "problem details with a machine `code` and, for bad input, the `field`."
)


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    embedded_projections: bool | None = None,
    clock: Callable[[], datetime] = _now,
) -> FastAPI:
    embedded = (
        settings.backend == "sqlite" if embedded_projections is None else embedded_projections
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from domain.calendar import preload
        from runtime.wiring import open_ledger, open_runner, open_view_db

        preload(clock().year)
        ledger = open_ledger(settings)
        runner, _ = open_runner(settings, ledger=ledger)
        views = open_view_db(settings)
        app.state.services = Services(
            ledger=ledger,
            views=views,
            tokens=TokenStore(views),
            runner=runner,
            clock=clock,
            open_views=lambda: open_view_db(settings),
        )
        stop = threading.Event()
        worker = threading.Thread(target=_run_views, args=(settings, stop), daemon=True)
        if embedded:
            worker.start()
        try:
            yield
        finally:
            stop.set()
            if embedded:
                worker.join(timeout=10)
            for close in (runner.db.close, views.close, ledger.close):
                close()

    app = FastAPI(
        title="France Services ledger",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    for module in (
        structures,
        requests,
        mandates,
        breaches,
        envelopes,
        subjects,
        alerts,
        oversight,
    ):
        app.include_router(module.router)

    @app.get("/v1/health", tags=["health"])
    def health(services: ServicesDep) -> dict[str, Any]:
        """Store reachability, the log's head, and each view's lag (events behind the head).
        Open to monitoring without a token: it shows no case and no person."""
        position = services.runner.head()
        views = services.runner.status(position)
        failed = [v.view for v in views if v.status != "ok"]
        return {
            "status": "degraded" if failed else "ok",
            "store": {"backend": settings.backend, "position": position},
            "projections": {v.view: v.lag for v in views},
            "failed_projections": {v.view: v.failed_position for v in views if v.status != "ok"},
        }

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    return app


def _run_views(settings: Settings, stop: threading.Event) -> None:
    from runtime.wiring import open_runner

    runner, reader = open_runner(settings)
    try:
        runner.run_forever(stop.is_set, stop.wait)
    finally:
        runner.db.close()
        reader.close()
