"""Envelope keys are wrapped under a master key kept outside the database (issue 11, item 12):
a copy of the database alone decrypts nothing, and ``ledger keys rotate`` re-wraps every key."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr

from application.ledger import Ledger
from runtime import cli
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger
from store.sealing import new_key
from store.wrapping import MasterKeyMismatch, MasterKeys
from tests.builders import USER, open_request, register_structure
from tests.store.backends import raw_keys, set_raw_key, sqlite_files, store_contains

MASTER = b"a-master-key-for-this-test-only"
OTHER = b"another-master-key-for-this-test"


def test_a_wrapped_key_opens_only_under_its_master_and_its_envelope() -> None:
    envelope, key = uuid4(), new_key()
    current = MasterKeys(MASTER)
    stored = current.wrap(envelope, key)
    assert key not in stored
    assert len(stored) > len(key)
    assert current.unwrap(envelope, stored) == key
    assert current.kind(stored) == "current"
    assert not current.needs_rewrap(stored)
    with pytest.raises(MasterKeyMismatch, match="LEDGER_MASTER_KEY"):
        MasterKeys(OTHER).unwrap(envelope, stored)
    with pytest.raises(InvalidTag):  # moved to another envelope's row
        current.unwrap(uuid4(), stored)
    rotating = MasterKeys(MASTER, OTHER)
    assert rotating.unwrap(envelope, stored) == key
    assert rotating.needs_rewrap(stored)
    moved = rotating.wrap(envelope, key)
    assert rotating.kind(moved) == "next"
    assert MasterKeys(OTHER).unwrap(envelope, moved) == key
    assert current.kind(key) == "bare"
    assert current.unwrap(envelope, key) == key
    with pytest.raises(ValueError, match="16 bytes"):
        MasterKeys(b"short")


def _live_keys(ledger: Ledger, settings: Settings) -> dict[Any, bytes]:
    return {envelope: _key(ledger, envelope) for envelope in raw_keys(settings)}


def _key(ledger: Ledger, envelope: Any) -> bytes:
    key = ledger.store.keys.get_key(envelope)  # type: ignore[attr-defined]
    assert isinstance(key, bytes)
    return key


def test_no_envelope_key_is_stored_bare(ledger: Ledger, settings: Settings, structure: str) -> None:
    request = open_request(ledger, structure)
    stored = raw_keys(settings)
    assert request.envelope_id in stored
    for envelope, key in _live_keys(ledger, settings).items():
        assert len(key) == 32
        assert key not in stored[envelope]
        assert store_contains(settings, key) == []


def test_a_copied_sqlite_database_alone_decrypts_nothing(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'home' / 'ledger.db'}")
    migrate(settings)
    ledger = open_ledger(settings)
    register_structure(ledger, "montauban")
    request = open_request(ledger, "montauban")
    ledger.close()
    files = sorted(p.name for p in sqlite_files(settings))
    assert "ledger.db.master-key" in files
    copy = tmp_path / "stolen"
    copy.mkdir()
    for name in ("ledger.db", "ledger.db-wal"):
        if (source := settings.sqlite_path.with_name(name)).exists():
            shutil.copy(source, copy / name)
    thief = Settings(database_url=f"sqlite:///{copy / 'ledger.db'}")
    stolen = open_ledger(thief, writer=False)
    try:
        with pytest.raises(MasterKeyMismatch):
            stolen.requests.get(request.id)
    finally:
        stolen.close()
    (copy / "ledger.db.master-key").unlink()
    shutil.copy(settings.secret_file(".master-key"), copy / "ledger.db.master-key")
    with_key = open_ledger(thief, writer=False)
    try:
        assert with_key.requests.get(request.id).user == USER
    finally:
        with_key.close()


def _keys(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = cli.main(["keys", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_rotation_rewraps_every_key_and_scrubs_the_old_forms(
    ledger: Ledger,
    settings: Settings,
    env: Settings,
    structure: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    requests = [open_request(ledger, structure) for _ in range(3)]
    before = raw_keys(settings)
    keys = _live_keys(ledger, settings)
    ledger.close()
    assert _keys(monkeypatch, capsys, "status") == {"current": len(before)}
    if settings.backend == "postgres":
        code = cli.main(["keys", "rotate"])  # no next master configured: refused, nothing done
        assert code == 2
        assert "LEDGER_MASTER_KEY_NEXT" in capsys.readouterr().err
        assert raw_keys(settings) == before
        monkeypatch.setenv("LEDGER_MASTER_KEY_NEXT", OTHER.decode())
        old_master = MasterKeys(os.environ["LEDGER_MASTER_KEY"].encode())
    else:
        old_master = MasterKeys(settings.secret_file(".master-key").read_text().encode())
    rotated = _keys(monkeypatch, capsys, "rotate")
    assert rotated["rewrapped"] == len(before)
    assert rotated["scrubbed"] is True
    after = raw_keys(settings)
    assert after.keys() == before.keys()
    for envelope, stored in after.items():
        assert stored != before[envelope]
        with pytest.raises(MasterKeyMismatch):
            old_master.unwrap(envelope, stored)
        assert store_contains(settings, before[envelope]) == []  # no page keeps the old form
    if settings.backend == "postgres":
        assert _keys(monkeypatch, capsys, "status") == {"next": len(before)}
        monkeypatch.setenv("LEDGER_MASTER_KEY", OTHER.decode())
        monkeypatch.delenv("LEDGER_MASTER_KEY_NEXT")
        reopened = open_ledger(
            settings.model_copy(update={"master_key": SecretStr(OTHER.decode())})
        )
    else:
        assert not settings.secret_file(".master-key.next").exists()
        reopened = open_ledger(settings)
    try:
        assert _keys(monkeypatch, capsys, "status") == {"current": len(before)}
        assert _live_keys(reopened, settings) == keys
        assert all(reopened.requests.get(r.id).user == USER for r in requests)
    finally:
        reopened.close()


def test_migrate_wraps_the_bare_keys_of_an_older_store(
    ledger: Ledger, settings: Settings, structure: str
) -> None:
    request = open_request(ledger, structure)
    key = _key(ledger, request.envelope_id)
    set_raw_key(settings, request.envelope_id, key)  # as an older version stored it
    assert raw_keys(settings)[request.envelope_id] == key
    assert ledger.requests.get(request.id).user == USER  # still opens meanwhile
    migrate(settings)
    stored = raw_keys(settings)[request.envelope_id]
    assert stored != key
    assert len(stored) > 32
    assert store_contains(settings, key) == []
    assert ledger.requests.get(request.id).user == USER


def test_a_key_moved_to_another_envelope_opens_nothing(
    ledger: Ledger, settings: Settings, structure: str
) -> None:
    first, second = open_request(ledger, structure), open_request(ledger, structure)
    stored = raw_keys(settings)
    set_raw_key(settings, second.envelope_id, stored[first.envelope_id])
    with pytest.raises(InvalidTag):
        ledger.requests.get(second.id)
