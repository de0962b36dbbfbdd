"""The API through HTTP on each backend: a TestClient over ``create_app``, a settable clock,
one token per role and structure, and a way to bring the views up to date."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from api.deps import Services
from runtime.settings import Settings
from tests.conftest import ADMIN, NOW, WEEKDAYS_9_TO_14

HOME, OTHER = "montauban", "cahors"
# (role, structure) -> token name; admin and dpo cover every structure.
CALLERS = {
    ("admin", None): "admin-paul",
    ("dpo", None): "dpo-lea",
    ("adviser", HOME): "adviser-ana",
    ("supervisor", HOME): "supervisor-sam",
    ("adviser", OTHER): "adviser-other",
    ("supervisor", OTHER): "supervisor-other",
}
USER = {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1950-02-03"}


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Api:
    client: TestClient
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        found: Services = self.client.app.state.services  # type: ignore[attr-defined]
        return found

    def auth(self, role: str, structure: str | None = HOME) -> dict[str, str]:
        scoped = role in ("adviser", "supervisor")
        name = CALLERS[(role, structure if scoped else None)]
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def call(
        self, method: str, path: str, role: str, structure: str | None = HOME, **kwargs: Any
    ) -> Any:
        headers = self.auth(role, structure) | kwargs.pop("headers", {})
        return self.client.request(method, path, headers=headers, **kwargs)

    def catch_up(self) -> None:
        """Runs every view up to the head of the log (the runner a deployment runs)."""
        self.services.runner.run_until_idle()

    def position(self) -> int:
        return self.services.ledger.recorder.max_notification_id() or 0

    # Steps most tests need ---------------------------------------------------------------------

    def open_request(self, structure: str = HOME, **overrides: Any) -> dict[str, Any]:
        body = {
            "structure_id": structure,
            "channel": "email",
            "partner": "caf",
            "mission": "administrative_help",
            "theme": "rsa",
            "received_at": self.clock.now.isoformat(),
            "user": USER,
        } | overrides
        response = self.call("POST", "/v1/requests", "adviser", structure, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def respond(self, request_id: str, summary: str = "done", **headers: str) -> Any:
        """An adviser answers the request now (``POST .../responses``)."""
        return self.call(
            "POST",
            f"/v1/requests/{request_id}/responses",
            "adviser",
            json={"at": self.clock.now.isoformat(), "summary": summary},
            headers=headers,
        )

    def sign_mandate(self, structure: str = HOME, **overrides: Any) -> dict[str, Any]:
        response = self.call(
            "POST",
            "/v1/mandates",
            "adviser",
            structure,
            json=mandate_body(self.clock.now, structure) | overrides,
        )
        assert response.status_code == 201, response.text
        signed: dict[str, Any] = response.json()
        return signed

    def declare_breach(self, **overrides: Any) -> dict[str, Any]:
        response = self.call(
            "POST", "/v1/breaches", "dpo", json=breach_body(self.clock.now) | overrides
        )
        assert response.status_code == 201, response.text
        declared: dict[str, Any] = response.json()
        return declared


def mandate_body(now: datetime, structure: str = HOME) -> dict[str, Any]:
    return {
        "structure_id": structure,
        "mandant": USER,
        "identity_verification": {"document_type": "id_card", "verified_at": now.isoformat()},
        "information_notice": {"version": "2026-01"},
        "scopes": [{"partner": "caf", "kinds": ["act_on_behalf", "data_communication"]}],
        "valid_until": (now + timedelta(days=180)).isoformat(),
        "originals": 2,
        "signed_document_sha256": "a" * 64,
        "signed_on_site": True,
    }


def breach_body(now: datetime) -> dict[str, Any]:
    return {
        "aware_at": now.isoformat(),
        "description": "a laptop with case files was stolen",
        "nature": ["confidentiality"],
        "data_categories": ["identity", "social_benefits"],
        "subject_categories": ["users"],
        "approx_subjects": 40,
        "approx_records": 120,
        "likely_consequences": "identity theft",
        "measures": "remote wipe, passwords changed",
        "contact": "dpo@example.org",
    }


def structure_body(code: str) -> dict[str, Any]:
    return {
        "id": code,
        "name": f"France Services {code}",
        "department": "82",
        "timetable": WEEKDAYS_9_TO_14,
    }


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    clock = Clock()
    app = create_app(settings, embedded_projections=False, clock=clock)
    with TestClient(app) as client:
        found = Api(client, clock)
        tokens = TokenStore(found.services.views)
        for code in (HOME, OTHER):
            found.services.ledger.register_structure(
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
