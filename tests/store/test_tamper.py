"""Tamper evidence: the database refuses changes; the hash chain names what was changed."""

import json

import pytest

from domain.application import Ledger
from runtime import cli
from runtime.settings import Settings
from tests.store.backends import app_execute, superuser_rewrite
from tests.store.test_ledger import open_request


def flip_one_byte(state: bytes) -> bytes:
    return state[:5] + bytes([state[5] ^ 0x01]) + state[6:]


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
