"""The Ledger service layer on a real store (SQLite and PostgreSQL)."""

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.application import Ledger
from domain.breach import Breach
from domain.calendar import RULE_VERSION
from domain.errors import (
    InvalidInput,
    MandateExpired,
    MandateOutOfScope,
    MandateRequired,
    MandateRevoked,
    NotFound,
    VersionConflict,
)
from domain.mandate import Mandate
from domain.policy import add_months
from domain.request import Request
from tests.conftest import ADMIN, ADVISER, DPO, NOW, WEEKDAYS_9_TO_14

USER = {"first_name": "Jeanne", "last_name": "Test"}
SOON = NOW + timedelta(hours=1)


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
    return ledger.open_request(**(fields | overrides))


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
    return ledger.sign_mandate(**(fields | overrides))


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
    return ledger.declare_breach(aware_at=aware_at, actor=DPO, now=now, **(facts | overrides))


def act(
    ledger: Ledger,
    request: Request,
    mandate_id: Any,
    partner: str = "caf",
    scope: str = "act_on_behalf",
    now: Any = SOON,
) -> Request:
    return ledger.act_on_behalf(
        request.id,
        mandate_id=mandate_id,
        partner=partner,
        scope=scope,
        procedure="rsa_quarterly_return",
        at=now,
        actor=ADVISER,
        now=now,
    )


def test_an_email_request_is_due_72_working_hours_after_receipt(
    ledger: Ledger, structure: str
) -> None:
    request = ledger.get_request(open_request(ledger, structure).id)
    assert request.due_at == NOW + timedelta(hours=72)
    assert request.rule_version == RULE_VERSION
    assert request.user == USER


def test_a_counter_request_has_no_response_deadline(ledger: Ledger, structure: str) -> None:
    assert ledger.get_request(open_request(ledger, structure, "counter").id).due_at is None


def test_an_unknown_partner_is_refused_and_nothing_is_recorded(
    ledger: Ledger, structure: str
) -> None:
    before = ledger.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        open_request(ledger, structure, partner="unknown")
    assert refused.value.field == "partner"
    assert ledger.recorder.max_notification_id() == before


def test_a_local_partner_declared_by_the_structure_is_accepted(ledger: Ledger) -> None:
    ledger.register_structure(
        code="bus",
        name="Bus France Services",
        department="82",
        timetable=WEEKDAYS_9_TO_14,
        local_partners=["mission_locale"],
        actor=ADMIN,
        now=NOW,
    )
    assert open_request(ledger, "bus", partner="mission_locale").partner == "mission_locale"


def test_a_structure_is_registered_once(ledger: Ledger, structure: str) -> None:
    with pytest.raises(VersionConflict) as refused:
        ledger.register_structure(
            code=structure,
            name="again",
            department="82",
            timetable=WEEKDAYS_9_TO_14,
            actor=ADMIN,
            now=NOW,
        )
    assert refused.value.code == "structure_exists"


def test_acting_without_a_mandate_is_refused(ledger: Ledger, structure: str) -> None:
    with pytest.raises(MandateRequired):
        act(ledger, open_request(ledger, structure), None)


def test_acting_under_another_structures_mandate_is_refused(
    ledger: Ledger, structure: str, other_structure: str
) -> None:
    mandate = sign_mandate(ledger, other_structure)
    with pytest.raises(MandateRequired):
        act(ledger, open_request(ledger, structure), mandate.id)


def test_acting_under_a_revoked_mandate_is_refused_at_once(ledger: Ledger, structure: str) -> None:
    request, mandate = open_request(ledger, structure), sign_mandate(ledger, structure)
    ledger.revoke_mandate(
        mandate.id,
        requested_by="mandant",
        channel="phone",
        reason="moved away",
        at=SOON,
        actor=ADVISER,
        now=SOON,
    )
    with pytest.raises(MandateRevoked):
        act(ledger, request, mandate.id)
    assert ledger.get_request(request.id).version == request.version


def test_acting_under_an_expired_mandate_is_refused(ledger: Ledger, structure: str) -> None:
    request, mandate = open_request(ledger, structure), sign_mandate(ledger, structure)
    with pytest.raises(MandateExpired):
        act(ledger, request, mandate.id, now=mandate.valid_until)


def test_acting_outside_the_mandates_scope_is_refused(ledger: Ledger, structure: str) -> None:
    request, mandate = open_request(ledger, structure), sign_mandate(ledger, structure)
    with pytest.raises(MandateOutOfScope):
        act(ledger, request, mandate.id, partner="cpam")


def test_an_action_is_recorded_on_request_and_mandate_in_one_save(
    ledger: Ledger, structure: str
) -> None:
    request, mandate = open_request(ledger, structure), sign_mandate(ledger, structure)
    before = ledger.recorder.max_notification_id()
    act(ledger, request, mandate.id)
    notifications = ledger.recorder.select_notifications(before + 1, 10)
    assert {n.originator_id for n in notifications} == {request.id, mandate.id}
    assert [n.id for n in notifications] == [before + 1, before + 2]
    assert ledger.get_mandate(mandate.id).uses[0]["request_id"] == request.id
    assert ledger.get_request(request.id).actions[0]["mandate_id"] == mandate.id


def test_revocation_is_idempotent(ledger: Ledger, structure: str) -> None:
    mandate = sign_mandate(ledger, structure)
    for _ in range(2):
        ledger.revoke_mandate(
            mandate.id,
            requested_by="mandant",
            channel="counter",
            reason="x",
            at=SOON,
            actor=ADVISER,
            now=SOON,
        )
    assert ledger.get_mandate(mandate.id).version == 2


def test_an_unresolved_request_is_due_for_destruction_24_months_after_last_activity(
    ledger: Ledger, structure: str
) -> None:
    request = open_request(ledger, structure)
    ledger.respond(request.id, at=SOON, summary="called", actor=ADVISER, now=SOON)
    assert ledger.get_request(request.id).data_due_at == add_months(SOON, 24)


def test_a_resolved_request_is_due_for_destruction_at_resolution(
    ledger: Ledger, structure: str
) -> None:
    request = open_request(ledger, structure)
    ledger.resolve(request.id, outcome="solved", at=SOON, actor=ADVISER, now=SOON)
    assert ledger.get_request(request.id).data_due_at == SOON


def test_a_stale_expected_version_is_a_conflict(ledger: Ledger, structure: str) -> None:
    request = open_request(ledger, structure)
    ledger.respond(request.id, at=SOON, summary="a", actor=ADVISER, now=SOON)
    with pytest.raises(VersionConflict):
        ledger.respond(
            request.id,
            at=SOON,
            summary="b",
            actor=ADVISER,
            now=SOON,
            expected_version=request.version,
        )


def test_unknown_ids_are_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound):
        ledger.get_request(uuid4())
    with pytest.raises(NotFound):
        ledger.get_structure("nowhere")
    with pytest.raises(NotFound):
        ledger.destroy_envelope(uuid4(), reason="data_subject_request", actor=DPO, now=NOW)


def test_a_mandate_id_is_not_a_request(ledger: Ledger, structure: str) -> None:
    with pytest.raises(NotFound):
        ledger.get_request(sign_mandate(ledger, structure).id)


def test_destroying_a_mandates_envelope_keeps_its_history(ledger: Ledger, structure: str) -> None:
    mandate = sign_mandate(ledger, structure)
    ledger.destroy_envelope(mandate.envelope_id, reason="retention_expired", actor=DPO, now=SOON)
    reloaded = ledger.get_mandate(mandate.id)
    assert (reloaded.mandant, reloaded.destroyed_at, reloaded.version) == (None, SOON, 2)
    assert reloaded.scopes == mandate.scopes


def test_destruction_is_idempotent(ledger: Ledger, structure: str) -> None:
    request = open_request(ledger, structure)
    for _ in range(2):
        ledger.destroy_envelope(
            request.envelope_id, reason="data_subject_request", actor=DPO, now=SOON
        )
    assert ledger.get_request(request.id).version == 2


def test_the_breach_register_keeps_every_step(ledger: Ledger) -> None:
    breach = declare_breach(ledger)
    ledger.assess_breach_risk(
        breach.id, level="none", rationale="backup restored", actor=DPO, now=SOON
    )
    ledger.close_breach(breach.id, at=SOON, actor=DPO, now=SOON)
    reloaded = ledger.get_breach(breach.id)
    assert (reloaded.version, reloaded.risk_level, reloaded.closed_at) == (3, "none", SOON)


def test_a_command_reuses_the_aggregate_its_caller_just_read_once(
    ledger: Ledger, structure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = ledger.get_request(open_request(ledger, structure).id)
    reads: list[object] = []
    read = ledger.repository.get
    monkeypatch.setattr(ledger.repository, "get", lambda *a, **k: reads.append(a) or read(*a, **k))
    with ledger.reusing(request):
        answered = ledger.respond(request.id, at=SOON, summary="answered", actor=ADVISER, now=SOON)
        assert answered is request
        assert reads == []
        assert ledger.get_request(request.id) is not request
        assert len(reads) == 1
    assert ledger.get_request(request.id).version == answered.version


def test_a_reused_aggregate_that_went_stale_still_loses_the_race(
    ledger: Ledger, structure: str
) -> None:
    """The command starts from the caller's read: a write in between is a conflict, not lost."""
    opened = open_request(ledger, structure)
    stale = ledger.get_request(opened.id)
    read_at = stale.version
    ledger.respond(opened.id, at=SOON, summary="first", actor=ADVISER, now=SOON)
    with ledger.reusing(stale), pytest.raises(VersionConflict):
        ledger.escalate(opened.id, partner="caf", reason="second", at=SOON, actor=ADVISER, now=SOON)
    assert ledger.get_request(opened.id).version == read_at + 1  # the respond only
