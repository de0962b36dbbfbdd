"""The Ledger service layer on a real store (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from application.ledger import Ledger
from domain.actor import SYSTEM
from domain.errors import (
    DestructionReasonMismatch,
    InvalidInput,
    MandateExpired,
    MandateOtherPerson,
    MandateOutOfScope,
    MandateRequired,
    MandateRevoked,
    NotFound,
    VersionConflict,
)
from domain.retention import add_months
from domain.working_time import RULE_VERSION
from tests.builders import (
    ADMIN,
    ADVISER,
    DPO,
    NOW,
    SOON,
    USER,
    WEEKDAYS_9_TO_14,
    act,
    declare_breach,
    open_request,
    sign_mandate,
)


def test_an_email_request_is_due_72_working_hours_after_receipt(
    ledger: Ledger, structure: str
) -> None:
    request = ledger.requests.get(open_request(ledger, structure).id)
    assert request.due_at == NOW + timedelta(hours=72)
    assert request.rule_version == RULE_VERSION
    assert request.user == USER


def test_a_counter_request_has_no_response_deadline(ledger: Ledger, structure: str) -> None:
    assert ledger.requests.get(open_request(ledger, structure, "counter").id).due_at is None


def test_an_unknown_partner_is_refused_and_nothing_is_recorded(
    ledger: Ledger, structure: str
) -> None:
    before = ledger.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        open_request(ledger, structure, partner="unknown")
    assert refused.value.field == "partner"
    assert ledger.recorder.max_notification_id() == before


def test_a_local_partner_declared_by_the_structure_is_accepted(ledger: Ledger) -> None:
    ledger.structures.register_structure(
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
        ledger.structures.register_structure(
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


@pytest.mark.parametrize(
    "mandant",
    [
        {"first_name": "Autre", "last_name": "Personne"},
        USER | {"birth_date": "1950-02-03"},  # same names, another person's birth date
    ],
)
def test_acting_under_another_persons_mandate_is_refused_and_nothing_recorded(
    ledger: Ledger, structure: str, mandant: dict[str, str]
) -> None:
    request = open_request(ledger, structure)
    mandate = sign_mandate(ledger, structure, mandant=mandant)
    before = ledger.recorder.max_notification_id()
    with pytest.raises(MandateOtherPerson) as refused:
        act(ledger, request, mandate.id)
    assert refused.value.code == "mandate_other_person"
    assert ledger.recorder.max_notification_id() == before


def test_a_mandate_of_the_same_person_typed_differently_covers_her_request(
    ledger: Ledger, structure: str
) -> None:
    request = open_request(ledger, structure)
    shouted = {"first_name": USER["first_name"].upper(), "last_name": f"  {USER['last_name']} "}
    mandate = sign_mandate(ledger, structure, mandant=shouted)
    assert len(act(ledger, request, mandate.id).actions) == 1


def test_acting_under_a_revoked_mandate_is_refused_at_once(ledger: Ledger, structure: str) -> None:
    request, mandate = open_request(ledger, structure), sign_mandate(ledger, structure)
    ledger.mandates.revoke_mandate(
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
    assert ledger.requests.get(request.id).version == request.version


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
    assert ledger.mandates.get(mandate.id).uses[0]["request_id"] == request.id
    assert ledger.requests.get(request.id).actions[0]["mandate_id"] == mandate.id


def test_revocation_is_idempotent(ledger: Ledger, structure: str) -> None:
    mandate = sign_mandate(ledger, structure)
    for _ in range(2):
        ledger.mandates.revoke_mandate(
            mandate.id,
            requested_by="mandant",
            channel="counter",
            reason="x",
            at=SOON,
            actor=ADVISER,
            now=SOON,
        )
    assert ledger.mandates.get(mandate.id).version == 2


def test_an_unresolved_request_is_due_for_destruction_24_months_after_last_activity(
    ledger: Ledger, structure: str
) -> None:
    request = open_request(ledger, structure)
    ledger.requests.respond(request.id, at=SOON, summary="called", actor=ADVISER, now=SOON)
    assert ledger.requests.get(request.id).data_due_at == add_months(SOON, 24)


def test_a_resolved_request_is_due_for_destruction_at_resolution(
    ledger: Ledger, structure: str
) -> None:
    request = open_request(ledger, structure)
    ledger.requests.resolve(request.id, outcome="solved", at=SOON, actor=ADVISER, now=SOON)
    assert ledger.requests.get(request.id).data_due_at == SOON


def test_a_stale_expected_version_is_a_conflict(ledger: Ledger, structure: str) -> None:
    request = open_request(ledger, structure)
    ledger.requests.respond(request.id, at=SOON, summary="a", actor=ADVISER, now=SOON)
    with pytest.raises(VersionConflict):
        ledger.requests.respond(
            request.id,
            at=SOON,
            summary="b",
            actor=ADVISER,
            now=SOON,
            expected_version=request.version,
        )


def test_unknown_ids_are_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound):
        ledger.requests.get(uuid4())
    with pytest.raises(NotFound):
        ledger.structures.get("nowhere")
    with pytest.raises(NotFound):
        ledger.personal_data.destroy_envelope(
            uuid4(), reason="data_subject_request", actor=DPO, now=NOW
        )


def test_a_mandate_id_is_not_a_request(ledger: Ledger, structure: str) -> None:
    with pytest.raises(NotFound):
        ledger.requests.get(sign_mandate(ledger, structure).id)


def test_destroying_a_mandates_envelope_keeps_its_history(ledger: Ledger, structure: str) -> None:
    mandate = sign_mandate(ledger, structure)
    ledger.personal_data.destroy_envelope(
        mandate.envelope_id, reason="data_subject_request", actor=DPO, now=SOON
    )
    reloaded = ledger.mandates.get(mandate.id)
    assert (reloaded.mandant, reloaded.destroyed_at, reloaded.version) == (None, SOON, 2)
    assert reloaded.scopes == mandate.scopes


def test_destruction_is_idempotent(ledger: Ledger, structure: str) -> None:
    request = open_request(ledger, structure)
    for _ in range(2):
        ledger.personal_data.destroy_envelope(
            request.envelope_id, reason="data_subject_request", actor=DPO, now=SOON
        )
    assert ledger.requests.get(request.id).version == 2


def test_the_breach_register_keeps_every_step(ledger: Ledger) -> None:
    breach = declare_breach(ledger)
    ledger.breaches.assess_breach_risk(
        breach.id, level="none", rationale="backup restored", actor=DPO, now=SOON
    )
    ledger.breaches.close_breach(breach.id, at=SOON, actor=DPO, now=SOON)
    reloaded = ledger.breaches.get(breach.id)
    assert (reloaded.version, reloaded.risk_level, reloaded.closed_at) == (3, "none", SOON)


def test_a_command_given_the_aggregate_its_caller_just_read_does_not_read_it_again(
    ledger: Ledger, structure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = ledger.requests.get(open_request(ledger, structure).id)
    reads: list[object] = []
    read = ledger.repository.get
    monkeypatch.setattr(ledger.repository, "get", lambda *a, **k: reads.append(a) or read(*a, **k))
    answered = ledger.requests.respond(
        request, at=SOON, summary="answered", actor=ADVISER, now=SOON
    )
    assert answered is request
    assert reads == []
    assert ledger.requests.get(request.id) is not request
    assert len(reads) == 1
    assert ledger.requests.get(request.id).version == answered.version


def test_a_given_aggregate_that_went_stale_still_loses_the_race(
    ledger: Ledger, structure: str
) -> None:
    """The command starts from the caller's read: a write in between is a conflict, not lost."""
    opened = open_request(ledger, structure)
    stale = ledger.requests.get(opened.id)
    read_at = stale.version
    ledger.requests.respond(opened.id, at=SOON, summary="first", actor=ADVISER, now=SOON)
    with pytest.raises(VersionConflict):
        ledger.requests.escalate(
            stale, partner="caf", reason="second", at=SOON, actor=ADVISER, now=SOON
        )
    assert ledger.requests.get(opened.id).version == read_at + 1  # the respond only


def test_raising_an_alert_again_with_its_due_instant_in_another_offset_finds_the_first(
    ledger: Ledger,
) -> None:
    due, subject = datetime(2026, 3, 29, 10, tzinfo=UTC), uuid4()
    fields: dict[str, Any] = {"kind": "sla", "subject_id": subject, "level": "warning"}
    first, raised = ledger.alerts.raise_alert(**fields, due_at=due, actor=SYSTEM, now=NOW)
    paris = due.astimezone(ZoneInfo("Europe/Paris"))
    again, raised_again = ledger.alerts.raise_alert(**fields, due_at=paris, actor=SYSTEM, now=NOW)
    assert (raised, raised_again, again.id) == (True, False, first.id)


@pytest.mark.parametrize(
    ("resolve", "reason"),
    [
        (False, "procedure_resolved"),  # an open case that never ended
        (True, "inactive"),
        (False, "retention_expired"),  # a mandate's reason
    ],
)
def test_a_destruction_reason_that_does_not_fit_the_case_is_refused(
    ledger: Ledger, structure: str, resolve: bool, reason: str
) -> None:
    request = open_request(ledger, structure)
    if resolve:
        ledger.requests.resolve(request.id, outcome="solved", at=NOW, actor=ADVISER, now=NOW)
    before = ledger.recorder.max_notification_id()
    with pytest.raises(DestructionReasonMismatch) as refused:
        ledger.personal_data.destroy_envelope(
            request.envelope_id, reason=reason, actor=DPO, now=SOON
        )
    assert refused.value.code == "destruction_reason_mismatch"
    assert ledger.recorder.max_notification_id() == before
    assert ledger.requests.get(request.id).user is not None


def test_retention_expired_fits_a_mandate_only_once_it_ended(
    ledger: Ledger, structure: str
) -> None:
    mandate = sign_mandate(ledger, structure)
    with pytest.raises(DestructionReasonMismatch):
        ledger.personal_data.destroy_envelope(
            mandate.envelope_id, reason="retention_expired", actor=DPO, now=SOON
        )
    ended = mandate.valid_until + timedelta(days=1)
    ledger.personal_data.destroy_envelope(
        mandate.envelope_id, reason="retention_expired", actor=DPO, now=ended
    )
    assert ledger.mandates.get(mandate.id).destroyed_at == ended


def test_a_destruction_records_the_instant_it_is_given(ledger: Ledger, structure: str) -> None:
    request = open_request(ledger, structure)
    done_at, later = NOW + timedelta(minutes=30), NOW + timedelta(hours=2)
    ledger.personal_data.destroy_envelope(
        request.envelope_id, reason="data_subject_request", actor=DPO, now=later, at=done_at
    )
    assert ledger.requests.get(request.id).destroyed_at == done_at


@pytest.mark.parametrize("at", [NOW - timedelta(minutes=1), NOW + timedelta(hours=3)])
def test_a_destruction_instant_before_the_last_event_or_in_the_future_is_refused(
    ledger: Ledger, structure: str, at: datetime
) -> None:
    request = open_request(ledger, structure)
    with pytest.raises(InvalidInput) as refused:
        ledger.personal_data.destroy_envelope(
            request.envelope_id, reason="data_subject_request", actor=DPO, now=SOON, at=at
        )
    assert refused.value.field == "at"
    assert ledger.requests.get(request.id).user is not None


def test_several_requests_read_at_once_equal_each_read_alone(
    ledger: Ledger, structure: str
) -> None:
    """The worklist's read: one statement for the events, one for the keys; a destroyed case
    shows no data, and an id that is not a request is not found."""
    cases = [
        open_request(ledger, structure, user={"first_name": "Jeanne", "last_name": f"N{i}"})
        for i in range(5)
    ]
    ledger.requests.respond(cases[1].id, at=SOON, summary="rappelée", actor=ADVISER, now=SOON)
    ledger.personal_data.destroy_envelope(
        cases[2].envelope_id, reason="data_subject_request", actor=DPO, now=SOON
    )
    wanted = [case.id for case in reversed(cases)]

    together = ledger.requests.get_many(wanted)

    alone = [ledger.requests.get(request_id) for request_id in wanted]
    assert [vars(case) for case in together] == [vars(case) for case in alone]
    assert [case.user for case in together][::-1] == [
        {"first_name": "Jeanne", "last_name": "N0"},
        {"first_name": "Jeanne", "last_name": "N1"},
        None,
        {"first_name": "Jeanne", "last_name": "N3"},
        {"first_name": "Jeanne", "last_name": "N4"},
    ]
    mandate = sign_mandate(ledger, structure)
    for stranger in (mandate.id, uuid4()):
        with pytest.raises(NotFound):
            ledger.requests.get_many([cases[0].id, stranger])
