"""The ``ledger`` command on both backends: migrate, demo, verify, health."""

import hashlib
import json
import socket
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from runtime import cli
from runtime.asgi import VIEWS_RETRY_SECONDS, build_app, views_lock
from runtime.settings import Settings
from runtime.wiring import leader_lock, open_ledger, open_view_db
from store.tokens import TOKENS_DDL, TokenStore
from tests.builders import verify_ledger


def test_migrate_is_repeatable(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["migrate"]) == 0
    assert f"schema ready on {env.backend}" in capsys.readouterr().out


def test_migrate_warns_when_postgresql_keeps_no_planner_statistics(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without autovacuum the events table is never analyzed and reads of many cases are planned
    blind (docs/performance.md): the operator is told at migrate time."""
    autovacuum = "on"
    if env.backend == "postgres":
        with psycopg.connect(env.database_url.split("?")[0]) as conn:
            autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]  # type: ignore[index]
    assert cli.main(["migrate"]) == 0
    said = capsys.readouterr().err
    assert ("autovacuum off" in said) == (autovacuum != "on")


def test_demo_loads_a_department_that_verifies(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--requests", "40", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    assert '"structures": 20, "requests": 40' in capsys.readouterr().out
    ledger = open_ledger(env)
    result = verify_ledger(ledger)
    assert result.ok
    assert result.events_checked > 100
    assert ledger.structures.get("moissac").department == "82"
    ledger.close()
    assert cli.main(["verify"]) == 0


def test_demo_refuses_a_naive_now(env: Settings) -> None:
    with pytest.raises(SystemExit):
        cli.main(["demo", "--requests", "1", "--now", datetime(2026, 1, 1).isoformat()])


def test_health_reports_the_store_and_the_lag_of_each_view(env: Settings) -> None:
    assert cli.main(["demo", "--requests", "5", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    with TestClient(build_app(env, embedded_projections=False, embedded_scheduler=False)) as client:
        body = client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["store"]["backend"] == env.backend
    head = body["store"]["position"]
    assert head > 20
    assert body["projections"] == dict.fromkeys(
        [
            "alerts",
            "audit_trail",
            "breaches",
            "complaints",
            "flash_audits",
            "integrity",
            "mandates",
            "quarterly",
            "referents",
            "retention",
            "satisfaction",
            "sla",
            "structures",
        ],
        head,
    )


def test_the_embedded_runner_brings_every_view_to_the_head(env: Settings) -> None:
    assert cli.main(["demo", "--requests", "5", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    with TestClient(build_app(env, embedded_projections=True, embedded_scheduler=False)) as client:
        for _ in range(500):
            body = client.get("/v1/health").json()
            if not any(body["projections"].values()):
                break
            threading.Event().wait(0.02)
    assert set(body["projections"].values()) == {0}


def test_projections_run_rebuild_and_status_from_the_command_line(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--requests", "8", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    capsys.readouterr()
    assert cli.main(["projections", "status"]) == 0
    before = capsys.readouterr().out.splitlines()
    assert cli.main(["projections", "run", "--until-idle"]) == 0
    assert cli.main(["projections", "rebuild", "sla"]) == 0
    assert cli.main(["projections", "status"]) == 0
    after = capsys.readouterr().out.splitlines()
    assert before[0].split() == ["view", "position", "lag", "status"]
    assert all(line.split()[1] == "0" for line in before[1:])
    status = [line.split() for line in after if line.split()[0] in ("sla", "quarterly")]
    assert [(row[0], row[2], row[3]) for row in status] == [
        ("quarterly", "0", "ok"),
        ("sla", "0", "ok"),
    ]
    assert any(line.startswith("sla: rebuilt through position") for line in after)


def test_an_unknown_view_is_refused(env: Settings) -> None:
    with pytest.raises(ValueError, match="unknown views: nope"):
        cli.main(["projections", "rebuild", "nope"])


def test_a_token_is_printed_once_alone_on_the_last_line_and_revocable(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--requests", "1", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    capsys.readouterr()
    argv = ["token", "create", "--role", "adviser", "--structure", "moissac", "--name", "ana"]
    assert cli.main(argv) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert token.startswith("fsl_")
    with TestClient(build_app(env, embedded_projections=False, embedded_scheduler=False)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/structures/moissac", headers=headers).status_code == 200
        assert client.get("/v1/structures/cahors", headers=headers).status_code == 404
        assert cli.main(["token", "revoke", "ana"]) == 0
        assert client.get("/v1/structures/moissac", headers=headers).status_code == 401
    db = open_view_db(env)
    with db.reading() as tx:
        stored = [row[0] for row in tx.all("SELECT token_hash FROM api_tokens")]
    db.close()
    assert token not in stored
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


@pytest.mark.parametrize(
    "argv",
    [
        ["token", "create", "--role", "adviser", "--name", "no-structure"],
        ["token", "create", "--role", "dpo", "--structure", "moissac", "--name", "scoped-dpo"],
        ["token", "create", "--role", "adviser", "--structure", "atlantis", "--name", "x"],
    ],
)
def test_a_token_that_makes_no_sense_is_refused(env: Settings, argv: list[str]) -> None:
    assert cli.main(["demo", "--requests", "1", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    assert cli.main(argv) == 2


def test_ledger_serve_answers_over_http_and_says_how_to_start(env: Settings) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.strip() == f"OpenAPI docs: http://127.0.0.1:{port}/docs"
        assert "ledger token create" in server.stdout.readline()
        body = _wait_for_health(port)
        assert body["store"]["backend"] == env.backend
    finally:
        server.terminate()
        server.wait(timeout=20)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_health(port: int) -> dict[str, object]:
    """Polls until the server process accepts connections (a real process starting up)."""
    for _ in range(300):
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
            return dict(response.json())
        except httpx.TransportError:
            threading.Event().wait(0.05)
    raise AssertionError("ledger serve did not answer")


def test_scheduler_run_once_then_status_shows_the_leader_and_each_job(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--requests", "20", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    assert cli.main(["projections", "run", "--until-idle"]) == 0
    capsys.readouterr()
    assert cli.main(["scheduler", "run", "--once"]) == 0
    done = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(done) == {
        "sla",
        "cnil",
        "mandates",
        "retention",
        "complaints",
        "visit_tokens",
        "integrity",
    }
    assert cli.main(["scheduler", "status"]) == 0
    status = capsys.readouterr().out
    assert f"leader: {socket.gethostname()}:" in status
    for job in done:
        assert job in status
    assert "pending:" in status


def test_serve_runs_the_scheduler_in_the_same_process_when_asked(env: Settings) -> None:
    """``make run`` on SQLite: API, views and scheduler in one process; health shows the tick."""
    app = build_app(env, embedded_projections=True, embedded_scheduler=True)
    with TestClient(app) as client:
        for _ in range(400):
            body = client.get("/v1/health").json()
            if body["scheduler"]["last_tick_at"] is not None:
                break
            threading.Event().wait(0.05)
    assert body["scheduler"]["last_tick_at"] is not None
    assert body["scheduler"]["late"] is False


def test_make_run_takes_the_port_and_host() -> None:
    shown = subprocess.run(
        ["make", "-n", "run", "PORT=8080", "HOST=0.0.0.0"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    ).stdout
    assert "ledger serve --host 0.0.0.0 --port 8080" in shown


@pytest.fixture(params=["sqlite", "postgres"])
def never_migrated(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """A store URL where ``ledger migrate`` never ran, and its backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'never.db'}", "sqlite"
    base = request.getfixturevalue("postgres_url")
    return f"{base}?schema=never_{uuid.uuid4().hex[:8]}", "postgres"


@pytest.mark.parametrize(
    "argv",
    [
        ["serve"],
        ["verify"],
        ["demo", "--requests", "1"],
        ["token", "create", "--role", "admin", "--name", "first"],
        ["projections", "status"],
        ["scheduler", "status"],
    ],
)
def test_a_store_never_migrated_is_named_in_one_line_with_exit_status_2(
    never_migrated: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    url, backend = never_migrated
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    monkeypatch.setenv("LEDGER_SUBJECT_SECRET", "unused")
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        f"the {backend} store has no ledger schema yet: run `ledger migrate` first"
    ]
    assert "Traceback" not in out + err
    assert not (tmp_path / "never.db").exists()


def test_tokens_expire_and_are_listed_without_the_token(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--requests", "1", "--now", "2026-11-26T12:00:00+01:00"]) == 0
    argv = ["token", "create", "--role", "dpo", "--name", "lea", "--expires-in", "30"]
    assert cli.main(argv) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    created = datetime.now(UTC)
    clock = {"now": created}
    app = build_app(
        env, embedded_projections=False, embedded_scheduler=False, clock=lambda: clock["now"]
    )
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/breaches", headers=headers).status_code == 200
        clock["now"] = created + timedelta(days=31)
        expired = client.get("/v1/breaches", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_expired"
    capsys.readouterr()
    assert cli.main(["token", "list"]) == 0
    (listed,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(listed) == {
        "name",
        "role",
        "structures",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }
    assert (listed["name"], listed["role"], listed["revoked_at"]) == ("lea", "dpo", None)
    assert listed["last_used_at"] is not None
    assert token not in json.dumps(listed)
    assert hashlib.sha256(token.encode()).hexdigest() not in json.dumps(listed)


def test_migrate_adds_the_token_columns_to_a_table_of_an_earlier_release(env: Settings) -> None:
    db = open_view_db(env)
    try:
        with db.transaction() as tx:
            tx.run("DROP TABLE api_tokens")
            tx.run(TOKENS_DDL)
        assert cli.main(["migrate"]) == 0
        TokenStore(db).create("after", "admin", [], datetime.now(UTC))
        assert [row["name"] for row in TokenStore(db).listing()] == ["after"]
    finally:
        db.close()


class _Stopping:
    """A stop event whose first wait says "stop": ``views_lock`` gives up at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return True


def test_only_one_worker_of_a_server_runs_the_embedded_views(settings: Settings) -> None:
    """The workers of one server would only take turns on the views (and on SQLite's one write
    lock): the worker holding the ``views`` lock runs them, the others wait to take over."""
    holder = leader_lock(settings, "views")
    assert holder.acquire()
    waiting = _Stopping()
    assert views_lock(settings, waiting) is None  # type: ignore[arg-type]
    assert waiting.waits == [VIEWS_RETRY_SECONDS]
    holder.release()
    taken = views_lock(settings, _Stopping())  # type: ignore[arg-type]
    assert taken is not None
    taken.release()
