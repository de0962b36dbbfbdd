"""The app factory: nothing is built at import; the lifespan opens the Ledger on the settings.

On SQLite (``make run``) the lifespan also runs the projection runner in a background thread,
so one process serves everything; on PostgreSQL, views run as their own ``ledger projections
run`` processes unless ``embedded_projections`` asks otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from runtime.settings import Settings


def create_app(settings: Settings, *, embedded_projections: bool | None = None) -> FastAPI:
    embedded = (
        settings.backend == "sqlite" if embedded_projections is None else embedded_projections
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from runtime.wiring import open_ledger, open_runner

        app.state.ledger = open_ledger(settings)
        app.state.status_runner, app.state.status_reader = open_runner(settings)
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
            app.state.status_runner.db.close()
            app.state.status_reader.close()
            app.state.ledger.close()

    app = FastAPI(title="France Services ledger", version="0.1.0", lifespan=lifespan)

    @app.get("/v1/health")
    def health(request: Request) -> dict[str, Any]:
        """Store reachability, the log's head, and each view's lag (events behind the head)."""
        views = request.app.state.status_runner.status()
        position = request.app.state.ledger.recorder.max_notification_id() or 0
        failed = [v.view for v in views if v.status != "ok"]
        return {
            "status": "degraded" if failed else "ok",
            "store": {"backend": settings.backend, "position": position},
            "projections": {v.view: v.lag for v in views},
            "failed_projections": {v.view: v.failed_position for v in views if v.status != "ok"},
        }

    return app


def _run_views(settings: Settings, stop: threading.Event) -> None:
    from runtime.wiring import open_runner

    runner, reader = open_runner(settings)
    try:
        runner.run_forever(stop.is_set, stop.wait)
    finally:
        runner.db.close()
        reader.close()
