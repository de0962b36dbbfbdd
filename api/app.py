"""The app factory: nothing is built at import. The composition root (``runtime.asgi``) hands
it a way to open the services (Ledger, views, tokens, runner, clock); the lifespan opens them
for as long as the app serves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import console, problems
from api.deps import Services, ServicesDep
from api.instants import InstantJSONResponse
from api.middleware import AccessLog, BodyLimit, ContainErrors
from api.routers import (
    alerts,
    audits,
    breaches,
    complaints,
    envelopes,
    mandates,
    oversight,
    referents,
    requests,
    satisfaction,
    structures,
    subjects,
)

DESCRIPTION = (
    "Request and mandate ledger of France Services counters. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `ledger token create`). Errors are RFC 9457 "
    "problem details with a machine `code` and, for bad input, the `field`."
)


def create_app(
    open_services: Callable[[], AbstractContextManager[Services]], *, max_body_bytes: int
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with open_services() as services:
            app.state.services = services
            yield

    app = FastAPIOffline(  # /docs served from the package: it works on an intranet
        title="France Services ledger",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs-assets",
        default_response_class=InstantJSONResponse,
    )
    problems.install(app, html=console.html_error)
    console.install(app)
    for module in (
        structures,
        requests,
        mandates,
        breaches,
        envelopes,
        subjects,
        alerts,
        oversight,
        satisfaction,
        complaints,
        referents,
        audits,
    ):
        app.include_router(module.router, responses=problems.RESPONSES)
    app.openapi = lambda: problems.openapi_with_problems(app)  # type: ignore[method-assign]

    @app.get("/v1/health", tags=["health"])
    def health(services: ServicesDep) -> dict[str, Any]:
        """Store reachability, the log's head, each view's lag (events behind the head), the
        scheduler's last tick (``degraded`` when none came for two intervals) and its last
        check of the hash chain. ``error`` when the log was tampered with: a view ahead of the
        log's head (events deleted), the integrity view stopped on a link that does not match,
        or the hourly check of the whole chain failed. Open to monitoring without a token: it
        shows no case and no person."""
        position = services.runner.head()
        views = services.runner.status(position)
        failed = [v.view for v in views if v.status != "ok"]
        ahead = {v.view: v.position for v in views if v.lag < 0}
        late = services.scheduler_late(services.clock())
        checked = services.integrity()
        tampered = (
            bool(ahead) or "integrity" in failed or (checked is not None and not checked["ok"])
        )
        status = "error" if tampered else "degraded" if failed or late else "ok"
        return {
            "status": status,
            "store": {"backend": services.backend, "position": position},
            "projections": {v.view: v.lag for v in views},
            "failed_projections": {v.view: v.failed_position for v in views if v.status != "ok"},
            "ahead_of_the_log": ahead,
            "scheduler": {"last_tick_at": services.last_tick(), "late": late},
            "integrity": checked,
        }

    app.add_middleware(ContainErrors)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(AccessLog)
    return app
