"""Destruction is real: once the key is gone, nothing in the store brings the data back."""

import stat
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from application.ledger import Ledger
from domain.errors import DestructionReasonMismatch, PersonalDataDestroyedError
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger
from tests.builders import (
    ADMIN,
    ADVISER,
    DPO,
    NOW,
    WEEKDAYS_9_TO_14,
    declare_breach,
    open_request,
    sign_mandate,
)
from tests.store.backends import add_other_envelope_keys, old_reader, raw_keys, store_contains

LATER = NOW + timedelta(hours=3)


def test_a_destroyed_envelope_leaves_neither_data_nor_key_in_the_store(
    ledger: Ledger, settings: Settings, structure: str
) -> None:
    add_other_envelope_keys(settings, 2000)
    marker = f"Marqueur{uuid4().hex[:12]}"
    request = open_request(ledger, structure, user={"first_name": "Jeanne", "last_name": marker})
    ledger.requests.respond(
        request.id, at=LATER, summary=f"called {marker} back", actor=ADVISER, now=LATER
    )
    assert ledger.requests.get(request.id).user == {"first_name": "Jeanne", "last_name": marker}
    key = raw_keys(settings)[request.envelope_id]  # as stored: wrapped under the master key
    assert key is not None
    assert store_contains(settings, key), "the scan must see the live key"
    assert store_contains(settings, marker.encode()) == [], (
        "personal data are never stored in clear"
    )

    ledger.personal_data.destroy_envelope(
        request.envelope_id, reason="data_subject_request", actor=DPO, now=LATER
    )

    assert store_contains(settings, key) == []
    assert store_contains(settings, marker.encode()) == []
    history = list(ledger.events.get(request.id))
    assert [type(e).__qualname__ for e in history] == [
        "Request.Opened",
        "Request.Responded",
        "Request.PersonalDataDestroyed",
    ]
    assert (history[0].user, history[1].summary) == (None, None)  # type: ignore[attr-defined]
    assert history[2].reason == "data_subject_request"  # type: ignore[attr-defined]
    reloaded = ledger.requests.get(request.id)
    assert (reloaded.user, reloaded.destroyed_at, reloaded.theme) == (None, LATER, "rsa")


def test_other_envelopes_survive_a_destruction(ledger: Ledger, structure: str) -> None:
    kept, destroyed = open_request(ledger, structure), open_request(ledger, structure)
    ledger.personal_data.destroy_envelope(
        destroyed.envelope_id, reason="data_subject_request", actor=DPO, now=LATER
    )
    assert ledger.requests.get(kept.id).user is not None


def test_no_free_text_an_adviser_types_reaches_the_store_in_clear(
    ledger: Ledger, settings: Settings, structure: str
) -> None:
    marker = f"Confidentiel{uuid4().hex[:12]}"
    request = open_request(ledger, structure)
    ledger.requests.respond(request.id, at=LATER, summary=f"s {marker}", actor=ADVISER, now=LATER)
    ledger.requests.escalate(
        request.id, partner="caf", reason=f"e {marker}", at=LATER, actor=ADVISER, now=LATER
    )
    ledger.requests.record_partner_answer(
        request.id, partner="caf", summary=f"p {marker}", at=LATER, actor=ADVISER, now=LATER
    )
    ledger.requests.resolve(request.id, outcome="solved", at=LATER, actor=ADVISER, now=LATER)
    ledger.requests.reopen(request.id, reason=f"r {marker}", at=LATER, actor=ADVISER, now=LATER)
    mandate = sign_mandate(ledger, structure, mandant={"first_name": marker, "last_name": "X"})
    ledger.mandates.revoke_mandate(
        mandate.id,
        requested_by=f"daughter {marker}",
        channel="phone",
        reason=f"moved {marker}",
        at=LATER,
        actor=ADVISER,
        now=LATER,
    )
    assert store_contains(settings, marker.encode()) == []
    assert ledger.mandates.get(mandate.id).version == 2


def test_a_command_racing_a_destruction_is_refused_and_records_nothing(
    ledger: Ledger, structure: str
) -> None:
    request = open_request(ledger, structure)
    stale = ledger.requests.get(request.id)
    ledger.personal_data.destroy_envelope(
        request.envelope_id, reason="data_subject_request", actor=DPO, now=LATER
    )
    stale.respond(LATER, "too late", data_due_at=LATER, actor=ADVISER, now=LATER)
    with pytest.raises(PersonalDataDestroyedError):
        ledger.save(stale)
    assert ledger.requests.get(request.id).version == 2


def test_the_sqlite_files_that_hold_the_keys_are_private(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'var' / 'ledger.db'}")
    migrate(settings)
    ledger = open_ledger(settings)
    try:
        ledger.structures.register_structure(
            code="montauban",
            name="M",
            department="82",
            timetable=WEEKDAYS_9_TO_14,
            actor=ADMIN,
            now=NOW,
        )
        open_request(ledger, "montauban")
        folder = tmp_path / "var"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = [p for p in folder.iterdir() if p.name.startswith("ledger.db")]
        assert {p.name for p in files} >= {"ledger.db", "ledger.db-wal", "ledger.db-shm"}
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == dict.fromkeys(
            (p.name for p in files), 0o600
        )
    finally:
        ledger.close()


def test_a_breachs_free_texts_are_sealed_and_destroyed_when_the_register_keeps_them_no_more(
    ledger: Ledger, settings: Settings
) -> None:
    marker = f"Victime{uuid4().hex[:10]}"
    breach = declare_breach(ledger, description=f"le dossier de {marker} a fuité")
    key = raw_keys(settings)[breach.envelope_id]  # as stored: wrapped under the master key
    assert ledger.breaches.get(breach.id).facts["description"].endswith("a fuité")
    assert store_contains(settings, marker.encode()) == []  # sealed: never in clear
    assert store_contains(settings, key) != []
    kept_until = breach.data_due_at
    assert kept_until is not None
    with pytest.raises(DestructionReasonMismatch):
        ledger.personal_data.destroy_envelope(
            breach.envelope_id,
            reason="retention_expired",
            actor=DPO,
            now=kept_until - timedelta(days=1),
        )
    ledger.personal_data.destroy_envelope(
        breach.envelope_id, reason="retention_expired", actor=DPO, now=kept_until
    )
    assert store_contains(settings, key) == []
    kept = ledger.breaches.get(breach.id)
    assert (kept.facts["description"], kept.facts["approx_subjects"]) == (None, 10)
    assert kept.destroyed_at == kept_until


def test_a_reader_older_than_the_destruction_defers_the_scrub_until_it_ends(
    ledger: Ledger, settings: Settings, structure: str
) -> None:
    """A snapshot taken before the destruction could still see the key: the store keeps the
    scrub pending, and the next scrub after that reader ended removes the bytes."""
    request = open_request(ledger, structure)
    key = raw_keys(settings)[request.envelope_id]  # as stored: wrapped under the master key
    with old_reader(settings):
        ledger.personal_data.destroy_envelope(
            request.envelope_id, reason="data_subject_request", actor=DPO, now=LATER
        )
        assert ledger.personal_data.scrub() is False  # deferred, not forgotten
    assert ledger.personal_data.scrub() is True
    assert store_contains(settings, key) == []
