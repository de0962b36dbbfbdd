"""The app factory: nothing is built at import; the lifespan opens the Ledger on the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from runtime.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from runtime.wiring import open_ledger

        app.state.ledger = open_ledger(settings)
        try:
            yield
        finally:
            app.state.ledger.close()

    app = FastAPI(title="France Services ledger", version="0.1.0", lifespan=lifespan)

    @app.get("/v1/health")
    def health(request: Request) -> dict[str, Any]:
        """Store reachability and the position of the log; projections arrive with issue 3."""
        position = request.app.state.ledger.recorder.max_notification_id()
        return {
            "status": "ok",
            "store": {"backend": settings.backend, "position": position or 0},
            "projections": {},
        }

    return app
