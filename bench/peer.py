"""The naive peer: what a team without this project would write for the same two commands.

Not the product. ``uvicorn --factory bench.peer:create_app`` (the uvicorn settings and worker
count of ``ledger serve``) on the same database: ``POST /v1/requests`` validates the body with
pydantic, creates an aggregate (one event) and ``save()``s it with eventsourcing's default
recorder;
``POST /v1/requests/{id}/responses`` validates, ``get``s the aggregate, triggers one event,
``save()``s it. It answers JSON. No tokens, no sealing, no hash chain, no group commit, no
views: the reference that the API's guarantees are measured against (docs/performance.md).

The store comes from eventsourcing's own environment variables (``PERSISTENCE_MODULE``,
``SQLITE_DBNAME`` or ``POSTGRES_*``), set by ``bench.api``.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi import FastAPI, HTTPException
from pydantic import AwareDatetime, BaseModel


class Case(Aggregate):
    @event("Opened")
    def __init__(self, structure_id: str, channel: str, partner: str, received_at: str) -> None:
        self.structure_id, self.channel, self.partner = structure_id, channel, partner
        self.received_at = received_at
        self.responses: list[str] = []

    @event("Responded")
    def respond(self, at: str, summary: str) -> None:
        self.responses.append(summary)


class Cases(Application[UUID]):
    pass


class OpenIn(BaseModel):
    structure_id: str
    channel: str
    partner: str
    mission: str
    theme: str
    received_at: AwareDatetime
    user: dict[str, str]


class ResponseIn(BaseModel):
    at: AwareDatetime
    summary: str


def create_app() -> FastAPI:
    cases = Cases(env=dict(os.environ))
    app = FastAPI()

    @app.post("/v1/requests", status_code=201)
    def open_request(body: OpenIn) -> dict[str, Any]:
        case = Case(body.structure_id, body.channel, body.partner, _iso(body.received_at))
        cases.save(case)
        return {"id": case.id.hex, "version": case.version}

    @app.post("/v1/requests/{case_id}/responses", status_code=201)
    def respond(case_id: str, body: ResponseIn) -> dict[str, Any]:
        try:
            case: Case = cases.repository.get(UUID(case_id))
        except (ValueError, KeyError, LookupError):
            raise HTTPException(404) from None
        case.respond(_iso(body.at), body.summary)
        cases.save(case)
        return {"id": case.id.hex, "version": case.version}

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _iso(value: datetime) -> str:
    return value.isoformat()
