"""What tests build with: fixed instants and actors, and one builder per thing a test needs
(a request, a mandate, a breach on the Ledger; an API client with a settable clock and bodies
for HTTP). Fixtures live in the ``conftest.py`` files and use these."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from fastapi.testclient import TestClient

from api.deps import Services
from application.ledger import Ledger
from domain.actor import Actor
from domain.breach import Breach
from domain.mandate import Mandate
from domain.request import Request
from projections import ALL
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from store.chain import ChainedRecorder, Verification, verify_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
SOON = NOW + timedelta(hours=1)
TEST_SECRET = "test-only-subject-secret"
TEST_MASTER_KEY = "test-only-master-key-never-in-the-database"
ADVISER = Actor(name="adviser-ana", role="adviser")
ADMIN = Actor(name="admin-paul", role="admin")
DPO = Actor(name="dpo-lea", role="dpo")
WEEKDAYS_9_TO_14 = [{"weekday": d, "opens": "09:00", "closes": "14:00"} for d in range(1, 6)]
USER = {"first_name": "Jeanne", "last_name": "Test"}


def register_structure(
    ledger: Ledger, code: str, now: datetime = NOW, name: str | None = None
) -> str:
    """A structure of department 82 open 9:00-14:00 on weekdays, registered by the admin."""
    ledger.structures.register_structure(
        code=code,
        name=name or f"France Services {code}",
        department="82",
        timetable=WEEKDAYS_9_TO_14,
        actor=ADMIN,
        now=now,
    )
    return code


def open_request(
    ledger: Ledger, structure: str, channel: str = "email", **overrides: Any
) -> Request:
    fields: dict[str, Any] = {
        "structure_code": structure,
        "channel": channel,
        "partner": "caf",
        "mission": "administrative_help",
        "theme": "rsa",
        "received_at": NOW,
        "user": USER,
        "actor": ADVISER,
        "now": NOW,
    }
    return ledger.requests.open_request(**(fields | overrides))


def sign_mandate(ledger: Ledger, structure: str, **overrides: Any) -> Mandate:
    fields: dict[str, Any] = {
        "structure_code": structure,
        "mandant": USER,
        "identity_verification": {"document_type": "id_card", "verified_at": NOW},
        "information_notice_version": "2026-01",
        "scopes": [{"partner": "caf", "kinds": ["act_on_behalf", "data_communication"]}],
        "valid_until": NOW + timedelta(days=30),
        "originals": 2,
        "signed_document_sha256": "b" * 64,
        "signed_on_site": True,
        "actor": ADVISER,
        "now": NOW,
    }
    return ledger.mandates.sign_mandate(**(fields | overrides))


def declare_breach(
    ledger: Ledger, *, aware_at: Any = NOW, now: Any = SOON, **overrides: Any
) -> Breach:
    facts: dict[str, Any] = {
        "detected_at": aware_at,
        "nature": ["availability"],
        "description": "server down",
        "data_categories": ["case files"],
        "subject_categories": ["users"],
        "approx_subjects": 10,
        "approx_records": 10,
        "likely_consequences": "delays",
        "measures": "restore",
        "contact": "dpo",
    }
    return ledger.breaches.declare_breach(
        aware_at=aware_at, actor=DPO, now=now, **(facts | overrides)
    )


def act(
    ledger: Ledger,
    request: Request,
    mandate_id: Any,
    partner: str = "caf",
    scope: str = "act_on_behalf",
    now: Any = SOON,
) -> Request:
    return ledger.requests.act_on_behalf(
        request.id,
        mandate_id=mandate_id,
        partner=partner,
        scope=scope,
        procedure="rsa_quarterly_return",
        at=now,
        actor=ADVISER,
        now=now,
    )


def flip_one_byte(state: bytes) -> bytes:
    return state[:5] + bytes([state[5] ^ 0x01]) + state[6:]


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a ``ledger`` process needs to open the store of ``settings`` with the
    same secrets as the test's own Ledger (on SQLite: the files beside the database)."""
    env = os.environ | {"LEDGER_DATABASE_URL": settings.database_url} | extra
    for name, secret in (
        ("LEDGER_SUBJECT_SECRET", settings.subject_secret),
        ("LEDGER_MASTER_KEY", settings.master_key),
    ):
        env.pop(name, None)
        if secret is not None:
            env[name] = secret.get_secret_value()
    return env


def view_rows(
    runner: ProjectionRunner, names: tuple[str, ...] | None = None
) -> dict[str, list[Any]]:
    """Every row of every view table, sorted: what 'equal row for row' compares."""
    tables = [t for p in ALL if names is None or p.name in names for t in p.tables]
    with runner.db.reading() as tx:
        return {table: sorted(tx.all(f"SELECT * FROM {table}"), key=repr) for table in tables}


def verify_ledger(ledger: Ledger) -> Verification:
    """``ledger verify`` on the store of this Ledger."""
    return verify_store(cast(ChainedRecorder, ledger.recorder))


# Through HTTP (tests/api) ----------------------------------------------------------------------

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


MARTIN = {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1950-02-03"}


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
            "user": MARTIN,
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

    def destroy(self, envelope: str, reason: str = "data_subject_request") -> Any:
        """A DPO destroys ``envelope`` now (``POST /v1/envelopes/{id}/destruction``)."""
        return self.call(
            "POST",
            f"/v1/envelopes/{envelope}/destruction",
            "dpo",
            json={"reason": reason, "at": self.clock.now.isoformat()},
        )

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
        "mandant": MARTIN,
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
