"""A request's life: responses stop the SLA clock, resolution closes it, destruction is final."""

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidInput, PersonalDataDestroyedError, RequestResolved, RuleViolation
from domain.personal_data import DestructionReason, normalized_identity
from domain.request import Outcome, Request, Status
from domain.sla_state import SlaState, sla_state
from domain.vocabulary import Channel, Mission
from domain.working_time import RULE_VERSION, BusinessCalendar
from tests.builders import ADVISER, NOW

LATER = NOW + timedelta(hours=2)
USER = {"first_name": "Jeanne", "last_name": "Test"}
DUE = NOW + timedelta(hours=72)


def given_a_request(channel: Channel = Channel.EMAIL) -> Request:
    return Request.open(
        structure_id=uuid4(),
        channel=channel,
        partner="caf",
        mission=Mission.ADMINISTRATIVE_HELP,
        theme="rsa",
        received_at=NOW,
        user={"first_name": "Jeanne", "last_name": "Test"},
        due_at=DUE,
        rule_version=RULE_VERSION,
        data_due_at=NOW,
        actor=ADVISER,
        now=NOW,
    )


def respond(request: Request, at: datetime) -> None:
    request.respond(at, "answered by phone", data_due_at=at, actor=ADVISER, now=at)


def test_an_opened_request_is_open_and_records_the_rule_version() -> None:
    request = given_a_request()
    assert (request.status, request.rule_version, request.due_at) == (
        Status.OPEN,
        RULE_VERSION,
        DUE,
    )


def test_the_first_response_stops_the_clock_and_later_ones_do_not_move_it() -> None:
    request = given_a_request()
    respond(request, LATER)
    respond(request, LATER + timedelta(hours=1))
    assert request.first_response_at == LATER
    assert request.status == Status.ANSWERED


def test_a_response_cannot_predate_receipt() -> None:
    request = given_a_request()
    with pytest.raises(InvalidInput) as refused:
        request.respond(NOW - timedelta(minutes=1), "x", data_due_at=NOW, actor=ADVISER, now=LATER)
    assert refused.value.field == "at"


def test_a_response_cannot_be_in_the_future_beyond_a_few_minutes_of_clock_skew() -> None:
    request = given_a_request()
    with pytest.raises(InvalidInput) as refused:
        request.respond(
            LATER + timedelta(minutes=6), "x", data_due_at=NOW, actor=ADVISER, now=LATER
        )
    assert refused.value.field == "at"
    request.respond(LATER + timedelta(minutes=4), "x", data_due_at=NOW, actor=ADVISER, now=LATER)
    assert request.first_response_at == LATER + timedelta(minutes=4)


def test_a_resolved_request_refuses_work_until_reopened() -> None:
    request = given_a_request()
    request.resolve(Outcome.SOLVED, LATER, data_due_at=LATER, actor=ADVISER, now=LATER)
    with pytest.raises(RequestResolved):
        respond(request, LATER)
    request.reopen("user came back", LATER, data_due_at=LATER, actor=ADVISER, now=LATER)
    assert request.status == Status.OPEN


def test_only_a_resolved_request_can_be_reopened() -> None:
    with pytest.raises(RuleViolation) as refused:
        given_a_request().reopen("x", LATER, data_due_at=LATER, actor=ADVISER, now=LATER)
    assert refused.value.code == "request_not_resolved"


def test_a_partner_answer_needs_an_open_escalation_to_that_partner() -> None:
    request = given_a_request()
    with pytest.raises(RuleViolation) as refused:
        request.record_partner_answer(
            "caf", "ok", LATER, data_due_at=LATER, actor=ADVISER, now=LATER
        )
    assert refused.value.code == "no_open_escalation"
    request.escalate("caf", "blocked file", LATER, data_due_at=LATER, actor=ADVISER, now=LATER)
    request.record_partner_answer(
        "caf", "unblocked", LATER, data_due_at=LATER, actor=ADVISER, now=LATER
    )
    assert request.escalations[0]["answered_at"] == LATER


def test_destruction_is_recorded_once_and_clears_personal_fields() -> None:
    request = given_a_request()
    respond(request, LATER)
    assert request.destroy_personal_data(
        DestructionReason.DATA_SUBJECT_REQUEST, actor=ADVISER, now=LATER
    )
    assert not request.destroy_personal_data(
        DestructionReason.RETENTION_EXPIRED, actor=ADVISER, now=LATER
    )
    assert (request.user, request.responses[0]["summary"], request.destroyed_at) == (
        None,
        None,
        LATER,
    )
    assert request.destruction_reason == "data_subject_request"


def test_work_on_a_request_whose_data_were_destroyed_is_refused() -> None:
    request = given_a_request()
    request.destroy_personal_data(DestructionReason.DATA_SUBJECT_REQUEST, actor=ADVISER, now=LATER)
    with pytest.raises(PersonalDataDestroyedError):
        respond(request, LATER)


def test_every_event_carries_its_actor_and_the_injected_time() -> None:
    request = given_a_request()
    respond(request, LATER)
    events = request.collect_events()
    assert [(e.actor, e.timestamp) for e in events] == [(ADVISER, NOW), (ADVISER, LATER)]


calendar = BusinessCalendar("82")


@pytest.mark.parametrize(
    ("first_response", "now", "expected"),
    [
        (None, NOW, SlaState.ON_TIME),
        (None, DUE - timedelta(hours=23), SlaState.DUE_SOON),
        (None, DUE, SlaState.OVERDUE),
        (DUE, DUE + timedelta(days=3), SlaState.MET),
        (DUE + timedelta(seconds=1), DUE + timedelta(days=3), SlaState.MISSED),
    ],
)
def test_sla_state_follows_the_deadline(
    first_response: datetime | None, now: datetime, expected: SlaState
) -> None:
    assert sla_state(DUE, first_response, now, calendar) == expected


def test_channels_without_the_rule_have_no_sla_state() -> None:
    assert sla_state(None, None, NOW, calendar) is None


@pytest.mark.parametrize("theme", ["Jeanne Test's housing file", "", "a" * 65])
def test_the_theme_is_a_code_never_free_text(theme: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Request.open(
            structure_id=uuid4(),
            channel=Channel.EMAIL,
            partner="caf",
            mission=Mission.INFORMATION,
            theme=theme,
            received_at=NOW,
            user=USER,
            due_at=None,
            rule_version=RULE_VERSION,
            data_due_at=NOW,
            actor=ADVISER,
            now=NOW,
        )
    assert refused.value.field == "theme"


def test_an_identity_typed_two_ways_normalizes_the_same() -> None:

    first = {"first_name": "Zoé", "last_name": "Lefèvre-Dupont", "birth_date": "1980-02-03"}
    again = {"first_name": " ZOE ", "last_name": "lefevre dupont", "birth_date": "1980-02-03"}
    other = {"first_name": "Zoé", "last_name": "Lefèvre-Dupont", "birth_date": "1980-02-04"}
    assert normalized_identity(first) == normalized_identity(again) != normalized_identity(other)


def test_the_adviser_in_charge_is_a_staff_reference() -> None:
    request = given_a_request()
    with pytest.raises(InvalidInput) as refused:
        request.assign("Marie Dupont", data_due_at=LATER, actor=ADVISER, now=LATER)
    assert refused.value.field == "adviser"
    request.assign("adviser-bob", data_due_at=LATER, actor=ADVISER, now=LATER)
    assert request.adviser == "adviser-bob"
