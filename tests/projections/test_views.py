"""The audit trail, breach register, mandate registry and integrity views."""

from datetime import timedelta

from application.ledger import Ledger
from projections import VIEW_TABLES
from projections import audit as audit_view
from projections import breaches as breach_view
from projections import mandates as mandate_view
from projections.db import csv_chunks, hex_id, iso
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from tests.builders import (
    ADVISER,
    DPO,
    NOW,
    act,
    declare_breach,
    flip_one_byte,
    open_request,
    sign_mandate,
    view_rows,
)
from tests.store.backends import raw_keys, store_contains, superuser_rewrite

LATER = NOW + timedelta(hours=2)


def test_the_audit_trail_has_one_row_per_event_with_actor_case_and_chain_hash(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    request, mandate = open_request(ledger, structure), sign_mandate(ledger, structure)
    act(ledger, request, mandate.id)
    runner.run_until_idle()
    with runner.db.reading(VIEW_TABLES) as tx:
        rows = list(audit_view.entries(tx, request_id=hex_id(request.id)))
        chain = dict(tx.all("SELECT position, hash FROM event_chain"))
    assert [(r["action"], r["actor"], r["role"]) for r in rows] == [
        ("Request.Opened", "adviser-ana", "adviser"),
        ("Request.ActedOnBehalf", "adviser-ana", "adviser"),
        ("Mandate.Used", "adviser-ana", "adviser"),
    ]
    assert {r["envelope_id"] for r in rows[:2]} == {hex_id(request.envelope_id)}
    assert rows[1]["mandate_id"] == hex_id(mandate.id)
    assert all(r["structure_id"] == structure for r in rows)  # its code, as people read it
    assert all(r["chain_hash"] == bytes(chain[r["position"]]).hex() for r in rows)


def test_the_audit_trail_filters_by_actor_and_period_and_pages(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    request = open_request(ledger, structure)
    ledger.requests.respond(request.id, at=LATER, summary="x", actor=DPO, now=LATER)
    runner.run_until_idle()
    with runner.db.reading(VIEW_TABLES) as tx:
        by_actor = [r["action"] for r in audit_view.entries(tx, actor="dpo-lea")]
        since = [r["action"] for r in audit_view.entries(tx, start=LATER, page=1)]
        everything = list(audit_view.entries(tx, page=1))
    assert by_actor == since == ["Request.Responded"]
    assert len(everything) == ledger.recorder.max_notification_id()
    with runner.db.reading(VIEW_TABLES) as tx:
        chunks = csv_chunks(audit_view.csv_lines(tx, request_id=hex_id(request.id)))
        lines = "".join(chunks).splitlines()
    assert lines[0].startswith("position,at,actor,role,action,")
    assert [line.split(",")[4] for line in lines[1:]] == ["Request.Opened", "Request.Responded"]


def test_a_destroyed_envelope_leaves_no_personal_data_in_any_view_and_its_events_audited(
    ledger: Ledger, settings: Settings, structure: str, runner: ProjectionRunner
) -> None:

    marker = "Marqueurvue"
    request = open_request(ledger, structure, user={"first_name": marker, "last_name": "X"})
    ledger.requests.respond(request.id, at=LATER, summary=marker, actor=ADVISER, now=LATER)
    runner.run_until_idle()
    key = raw_keys(settings)[request.envelope_id]  # as stored: wrapped under the master key
    assert ledger.requests.get(request.id).user == {"first_name": marker, "last_name": "X"}
    assert store_contains(settings, key) != []  # the positive control: the key is there
    ledger.personal_data.destroy_envelope(
        request.envelope_id, reason="data_subject_request", actor=DPO, now=LATER
    )
    runner.run_until_idle()
    assert store_contains(settings, key) == []
    assert store_contains(settings, marker.encode()) == []
    with runner.db.reading(VIEW_TABLES) as tx:
        actions = [
            r["action"] for r in audit_view.entries(tx, envelope_id=hex_id(request.envelope_id))
        ]
    assert actions == ["Request.Opened", "Request.Responded", "Request.PersonalDataDestroyed"]


def test_the_breach_register_shows_state_and_remaining_time(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    late = declare_breach(ledger, now=NOW)
    minor = declare_breach(ledger, aware_at=NOW + timedelta(hours=1), now=LATER)
    ledger.breaches.assess_breach_risk(minor.id, level="none", rationale="r", actor=DPO, now=LATER)
    runner.run_until_idle()
    now = NOW + timedelta(hours=60)
    with runner.db.reading({"breaches": "breaches", "breach_phases": "breach_phases"}) as tx:
        register = breach_view.register(tx, now)
        due_soon = breach_view.register(tx, now, state="due_soon")
    assert [(b["id"], b["state"]) for b in register] == [
        (hex_id(late.id), "due_soon"),
        (hex_id(minor.id), "not_required"),
    ]
    assert register[0]["remaining_seconds"] == 12 * 3600
    assert [b["id"] for b in due_soon] == [hex_id(late.id)]
    at = NOW + timedelta(hours=80)
    ledger.breaches.notify_cnil(
        late.id, phase="initial", at=at, reference="R", late_reason="weekend", actor=DPO, now=at
    )
    runner.run_until_idle()
    with runner.db.reading({"breaches": "breaches", "breach_phases": "breach_phases"}) as tx:
        assert breach_view.register(tx, at)[0]["state"] == "notified_late"
        assert tx.one("SELECT phase, late FROM {breach_phases}") == ("initial", 1)


def test_the_mandate_registry_tracks_status_and_uses(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    used, revoked = sign_mandate(ledger, structure), sign_mandate(ledger, structure)
    act(ledger, open_request(ledger, structure), used.id)
    ledger.mandates.revoke_mandate(
        revoked.id,
        requested_by="mandant",
        channel="phone",
        reason="r",
        at=LATER,
        actor=ADVISER,
        now=LATER,
    )
    runner.run_until_idle()
    structure_id = hex_id(ledger.structures.get(structure).id) or ""
    with runner.db.reading({"mandates": "mandates"}) as tx:
        active = mandate_view.active_of_structure(tx, structure_id, LATER)
        after_end = mandate_view.active_of_structure(tx, structure_id, used.valid_until)
        both = mandate_view.of_envelopes(
            tx, [hex_id(used.envelope_id) or "", hex_id(revoked.envelope_id) or ""], LATER
        )
    assert [(m["mandate_id"], m["uses"], m["status"]) for m in active] == [
        (hex_id(used.id), 1, "active")
    ]
    assert after_end == []
    assert {m["status"] for m in both} == {"active", "revoked"}
    assert active[0]["scopes"] == [
        {"kinds": ["act_on_behalf", "data_communication"], "partner": "caf"}
    ]
    assert active[0]["valid_until"] == iso(used.valid_until)


def test_the_integrity_view_stops_at_an_altered_event(
    ledger: Ledger, settings: Settings, structure: str, runner: ProjectionRunner
) -> None:
    for _ in range(3):
        open_request(ledger, structure)
    runner.run_until_idle()
    assert view_rows(runner, ("integrity",))["integrity"][0][1] == 4
    for _ in range(2):
        open_request(ledger, structure)
    superuser_rewrite(settings, 5, flip_one_byte)
    runner.run_until_idle()
    status = {s.view: s for s in runner.status()}["integrity"]
    assert (status.status, status.failed_position, status.position) == ("failed", 5, 4)
