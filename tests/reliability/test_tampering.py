"""Tamper evidence: the database refuses changes; the hash chain names what was changed."""

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from application.ledger import Ledger
from projections.runner import ProjectionRunner
from runtime import cli
from runtime.asgi import build_app
from runtime.settings import Settings
from runtime.wiring import Rotation, open_ledger, open_runner, rotate_master_key
from tests.builders import (
    ADMIN,
    DPO,
    NOW,
    TEST_MASTER_KEY,
    TEST_SECRET,
    WEEKDAYS_9_TO_14,
    flip_one_byte,
    open_request,
    verify_ledger,
)
from tests.store.backends import (
    app_execute,
    superuser_insert,
    superuser_rechain,
    superuser_rewrite,
    superuser_truncate,
)


def verify(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object]]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    code = cli.main(["verify"])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture
def five_events(ledger: Ledger, structure: str) -> list[int]:
    for _ in range(4):
        open_request(ledger, structure)
    return [n.id for n in ledger.recorder.select_notifications(None, 100)]


def test_an_untouched_log_verifies(
    settings: Settings,
    five_events: list[int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = verify(settings, monkeypatch, capsys)
    assert (code, report["ok"], report["verified_through"]) == (0, True, five_events[-1])


def test_verify_names_the_position_of_an_altered_byte(
    settings: Settings,
    five_events: list[int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    superuser_rewrite(settings, five_events[2], flip_one_byte)
    code, report = verify(settings, monkeypatch, capsys)
    assert (code, report["ok"], report["first_bad_position"]) == (1, False, five_events[2])
    assert report["verified_through"] == five_events[1]


def test_verify_names_the_position_of_a_deleted_event(
    settings: Settings,
    five_events: list[int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    superuser_rewrite(settings, five_events[3], None)
    code, report = verify(settings, monkeypatch, capsys)
    assert (code, report["first_bad_position"]) == (1, five_events[3])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {events} SET topic = 'x'",
        "DELETE FROM {events}",
        "UPDATE event_chain SET hash = hash",
        "DELETE FROM event_chain",
    ],
)
def test_the_applications_connection_cannot_change_history(
    ledger: Ledger, five_events: list[int], statement: str
) -> None:
    if hasattr(ledger.recorder.datastore, "schema"):  # type: ignore[attr-defined]
        statement = statement.replace(
            "event_chain", f'"{ledger.recorder.datastore.schema}".event_chain'
        )  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="immutable"):
        app_execute(ledger, statement)
    assert [n.id for n in ledger.recorder.select_notifications(None, 100)] == five_events


@pytest.fixture
def app_role_settings(postgres_url: str) -> Iterator[tuple[Settings, Settings]]:
    """A schema migrated by the owner, and the same schema seen by a least-privileged role."""
    suffix = uuid.uuid4().hex[:10]
    schema, role = f"t_{suffix}", f"ledger_app_{suffix}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    secrets = {"subject_secret": TEST_SECRET, "master_key": TEST_MASTER_KEY}
    owner = Settings(database_url=f"{postgres_url}?schema={schema}", **secrets)
    app_url = postgres_url.replace("postgres@", f"{role}@", 1)
    try:
        yield owner, Settings(database_url=f"{app_url}?schema={schema}", **secrets)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def test_the_application_role_works_but_cannot_disarm_the_triggers(
    app_role_settings: tuple[Settings, Settings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner, app = app_role_settings
    monkeypatch.setenv("LEDGER_DATABASE_URL", owner.database_url)
    assert cli.main(["migrate", "--app-role", app.database_url.split("//")[1].split("@")[0]]) == 0
    ledger = open_ledger(app)
    ledger.structures.register_structure(
        code="montauban",
        name="FS",
        department="82",
        timetable=WEEKDAYS_9_TO_14,
        actor=ADMIN,
        now=NOW,
    )
    request = open_request(ledger, "montauban")
    ledger.personal_data.destroy_envelope(
        request.envelope_id, reason="data_subject_request", actor=DPO, now=NOW
    )
    assert ledger.requests.get(request.id).user is None
    kept = open_request(ledger, "montauban")
    ledger.close()
    role = app.database_url.split("//")[1].split("@")[0]
    with psycopg.connect(owner.database_url.split("?")[0]) as conn:
        sees_every_snapshot = conn.execute(
            "SELECT pg_has_role(%s, 'pg_read_all_stats', 'member')", (role,)
        ).fetchone()
    assert sees_every_snapshot == (True,)
    rotating = app.model_copy(update={"master_key_next": SecretStr("the-next-master-key-here")})
    assert rotate_master_key(rotating) == Rotation(1, True, None)
    reopened = open_ledger(rotating)
    assert reopened.requests.get(kept.id).user is not None
    reopened.close()
    runner, reader = open_runner(app)
    runner.run_until_idle()
    runner.rebuild("sla")
    assert {view.lag for view in runner.status()} == {0}
    runner.db.close()
    reader.close()
    schema = app.eventsourcing_env()["POSTGRES_SCHEMA"]
    for statement in (
        f'UPDATE "{schema}".ledger_events SET topic = topic',
        f'DROP TRIGGER ledger_immutable_rows ON "{schema}".ledger_events',
        f'ALTER TABLE "{schema}".ledger_events DISABLE TRIGGER ALL',
        "SET session_replication_role = replica",
    ):
        with (
            psycopg.connect(app.database_url.split("?")[0]) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)


def test_concurrent_writers_keep_one_valid_chain(settings: Settings, structure: str) -> None:
    ledgers = [open_ledger(settings) for _ in range(4)]

    def write(ledger: Ledger) -> None:
        for _ in range(15):
            open_request(ledger, structure)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, ledgers))
    result = verify_ledger(ledgers[0])
    for ledger in ledgers:
        ledger.close()
    assert result.ok
    assert result.events_checked == 1 + 4 * 15


@pytest.fixture
def anchors(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Anchors kept outside the database (a file of their own, a key the database never sees);
    one is written now, as ``ledger anchor`` and the scheduler's hourly job do."""
    path = tmp_path / "anchors" / "ledger.anchors"
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LEDGER_ANCHOR_PATH", str(path))
    monkeypatch.setenv("LEDGER_ANCHOR_SECRET", "anchor-test-secret")
    return path


def verify_alone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object]]:
    """``ledger verify`` without its anchors: what the chain alone can see."""
    with monkeypatch.context() as alone:
        alone.delenv("LEDGER_ANCHOR_PATH")
        alone.delenv("LEDGER_ANCHOR_SECRET")
        return verify(settings, alone, capsys)


def test_a_log_cut_short_verifies_alone_but_not_against_its_anchor(
    settings: Settings,
    five_events: list[int],
    anchors: Path,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runner.run_until_idle()
    assert cli.main(["anchor"]) == 0
    superuser_truncate(settings, keep_through=five_events[2])
    code, alone = verify_alone(settings, monkeypatch, capsys)
    assert (code, alone["ok"]) == (0, True)
    code, report = verify(settings, monkeypatch, capsys)
    assert (code, report["ok"]) == (1, False)
    assert report["anchor_problem"] == (
        f"the log ends at {five_events[2]}, before anchor {five_events[-1]}"
    )
    app = build_app(settings, embedded_projections=False, embedded_scheduler=False)
    with TestClient(app) as client:
        health = client.get("/v1/health").json()
    assert health["status"] == "error"
    assert set(health["ahead_of_the_log"].values()) == {five_events[-1]}


def test_a_chain_rewritten_from_an_altered_event_verifies_alone_but_not_against_its_anchor(
    settings: Settings,
    five_events: list[int],
    anchors: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["anchor"]) == 0
    superuser_rechain(settings, flip_one_byte, at=five_events[1])
    code, alone = verify_alone(settings, monkeypatch, capsys)
    assert (code, alone["ok"]) == (0, True)
    code, report = verify(settings, monkeypatch, capsys)
    assert (code, report["ok"]) == (1, False)
    assert report["anchor_problem"] == (
        f"the chain at position {five_events[-1]} differs from its anchor"
    )


def test_verify_prints_the_head_and_a_forged_anchor_fails_it(
    settings: Settings,
    five_events: list[int],
    anchors: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["anchor"]) == 0
    written = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    code, report = verify(settings, monkeypatch, capsys)
    assert (code, report["ok"], report["anchor_problem"]) == (0, True, None)
    assert report["head"] == {"position": five_events[-1], "hash": written["hash"]}
    line = json.loads(anchors.read_text().splitlines()[-1])
    anchors.write_text(json.dumps(line | {"position": five_events[1]}) + "\n")
    code, report = verify(settings, monkeypatch, capsys)
    assert (code, report["anchor_problem"]) == (1, "the latest anchor's signature does not match")


ATTACKS: dict[str, Callable[[Settings, list[int]], None]] = {
    "alteration": lambda s, p: superuser_rewrite(s, p[2], flip_one_byte),
    "deletion": lambda s, p: superuser_rewrite(s, p[2], None),
    "insertion": lambda s, p: superuser_insert(s, after=p[2]),
    "tail truncation": lambda s, p: superuser_truncate(s, keep_through=p[2]),
    "full chain rewrite": lambda s, p: superuser_rechain(s, flip_one_byte, at=p[1]),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_every_attack_is_caught_by_verify_and_by_health_after_the_hourly_check(
    attack: str,
    env: Settings,
    five_events: list[int],
    anchors: Path,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each attack as a superuser who dropped the triggers, after the views read every event
    and the head was anchored: ``ledger verify`` fails, and ``/v1/health`` says ``error`` once
    the scheduler's hourly integrity check ran (which anchors nothing more)."""
    runner.run_until_idle()
    assert cli.main(["scheduler", "run", "--once"]) == 0
    anchored = anchors.read_text().splitlines()
    assert health(env)["status"] != "error"
    ATTACKS[attack](env, five_events)
    code, report = verify(env, monkeypatch, capsys)
    assert (code, report["ok"]) == (1, False), report
    assert cli.main(["scheduler", "run", "--once"]) == 0
    capsys.readouterr()
    found = health(env)
    assert found["status"] == "error", found
    assert found["integrity"]["ok"] is False
    assert anchors.read_text().splitlines() == anchored  # a tampered head is never anchored


def health(settings: Settings) -> dict[str, Any]:
    app = build_app(settings, embedded_projections=False, embedded_scheduler=False)
    with TestClient(app) as client:
        found: dict[str, Any] = client.get("/v1/health").json()
    return found
