"""The API through HTTP on each backend: a TestClient over ``create_app``, a settable clock,
one token per role and structure, and a way to bring the views up to date."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from runtime.asgi import build_app
from runtime.settings import Settings
from store.tokens import TokenStore
from tests.builders import ADMIN, CALLERS, HOME, NOW, OTHER, WEEKDAYS_9_TO_14, Api, Clock


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    clock = Clock()
    app = build_app(settings, embedded_projections=False, embedded_scheduler=False, clock=clock)
    with TestClient(app) as client:
        found = Api(client, clock)
        tokens = TokenStore(found.services.views)
        for code in (HOME, OTHER):
            found.services.ledger.structures.register_structure(
                code=code,
                name=f"France Services {code}",
                department="82",
                timetable=WEEKDAYS_9_TO_14,
                actor=ADMIN,
                now=NOW,
            )
        for (role, structure), name in CALLERS.items():
            found.tokens[name] = tokens.create(name, role, [structure] if structure else [], NOW)
        yield found
