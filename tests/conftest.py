"""Fixtures: fixed instants, actors, and a real store on SQLite and on PostgreSQL.

PostgreSQL tests skip with a reason when no server answers, except under ``CI=true`` where
they fail: CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from application.ledger import Ledger
from projections.runner import ProjectionRunner
from runtime.asgi import build_app
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger, open_runner
from store.tokens import TokenStore
from tests.builders import (
    CALLERS,
    HOME,
    NOW,
    OTHER,
    TEST_MASTER_KEY,
    TEST_SECRET,
    Api,
    Clock,
    register_structure,
)
from tests.live import LiveServer, register

PG_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_unavailable() -> str | None:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return f"no PostgreSQL server answers at {PG_URL}: {str(error).strip()[:120]}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    reason = _postgres_unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(reason)
    return PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh, migrated store of each backend."""
    if request.param == "sqlite":
        configured = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}")
        migrate(configured)
        yield configured
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    configured = Settings(
        database_url=f"{base}?schema={schema}",
        subject_secret=TEST_SECRET,
        master_key=TEST_MASTER_KEY,
    )
    migrate(configured)
    try:
        yield configured
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    opened = open_ledger(settings)
    yield opened
    opened.close()


@pytest.fixture
def structure(ledger: Ledger) -> str:
    register_structure(ledger, "montauban", name="France Services Montauban")
    return "montauban"


@pytest.fixture
def other_structure(ledger: Ledger, structure: str) -> str:
    """A second structure of the same department, for what must stay apart between the two."""
    register_structure(ledger, "moissac", name="FS Moissac")
    return "moissac"


@pytest.fixture
def runner(settings: Settings) -> Iterator[ProjectionRunner]:
    opened, reader = open_runner(settings)
    yield opened
    opened.db.close()
    reader.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test is a failure: nothing may pass by not running."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        if reporter:
            reporter.write_line(
                f"CI=true: {len(skipped)} skipped test(s) count as failures", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The store of ``settings`` as the ``ledger`` command sees it: through the environment."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LEDGER_SUBJECT_SECRET", TEST_SECRET)
    if settings.master_key is not None:
        monkeypatch.setenv("LEDGER_MASTER_KEY", settings.master_key.get_secret_value())
    return settings


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    clock = Clock()
    app = build_app(settings, embedded_projections=False, embedded_scheduler=False, clock=clock)
    with TestClient(app) as client:
        found = Api(client, clock)
        tokens = TokenStore(found.services.views)
        for code in (HOME, OTHER):
            register_structure(found.services.ledger, code)
        for (role, structure), name in CALLERS.items():
            found.tokens[name] = tokens.create(name, role, [structure] if structure else [], NOW)
        yield found


@pytest.fixture
def live(settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    """A real ``ledger serve`` on the store of ``settings`` (reliability and browser tests)."""
    server = LiveServer(settings, tmp_path / "server.log", register(settings))
    server.start()
    try:
        yield server
    finally:
        server.stop()
