"""The sla view and its dashboard, built by the real runner."""

from datetime import timedelta

import pytest

from application.ledger import Ledger
from domain.sla_state import sla_state
from projections.db import hex_id, iso
from projections.runner import ProjectionRunner
from projections.sla_queries import dashboard, state_of
from tests.builders import ADVISER, NOW, open_request

DUE = NOW + timedelta(hours=72)


def test_an_email_request_gets_a_row_with_its_deadline(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    request = open_request(ledger, structure)
    runner.run_until_idle()
    with runner.db.reading({"sla": "sla"}) as tx:
        row = tx.one(
            "SELECT channel, partner, received_at, due_at, status FROM {sla} WHERE request_id = :r",
            {"r": hex_id(request.id)},
        )
    assert row == ("email", "caf", iso(NOW), iso(DUE), "open")


def test_the_first_response_is_measured_in_working_hours(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    request = open_request(ledger, structure)
    saturday = NOW + timedelta(days=5)
    ledger.requests.respond(request.id, at=saturday, summary="a", actor=ADVISER, now=saturday)
    ledger.requests.respond(
        request.id,
        at=saturday + timedelta(days=3),
        summary="b",
        actor=ADVISER,
        now=saturday + timedelta(days=3),
    )
    runner.run_until_idle()
    with runner.db.reading({"sla": "sla"}) as tx:
        row = tx.one("SELECT first_response_at, hours_to_first_response FROM {sla}")
    assert row == (iso(saturday), 14 + 4 * 24)  # Monday from 10:00 Paris, then Tuesday-Friday


@pytest.mark.parametrize("hours_after", [0, 47, 49, 71, 72, 100])
def test_the_view_state_equals_the_domain_rule(
    ledger: Ledger, structure: str, runner: ProjectionRunner, hours_after: int
) -> None:
    request = open_request(ledger, structure)
    runner.run_until_idle()
    now = NOW + timedelta(hours=hours_after)
    calendar = ledger.structures.get(structure).calendar
    with runner.db.reading({"sla": "sla"}) as tx:
        assert state_of(tx, hex_id(request.id) or "", now) == sla_state(DUE, None, now, calendar)


def test_the_dashboard_counts_by_partner_and_channel(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    on_time, late, overdue = (open_request(ledger, structure) for _ in range(3))
    open_request(ledger, structure, partner="cpam", channel="contact_form")
    open_request(ledger, structure, channel="counter")
    ledger.requests.respond(
        on_time.id, at=NOW + timedelta(hours=5), summary="x", actor=ADVISER, now=DUE
    )
    ledger.requests.respond(
        late.id,
        at=DUE + timedelta(hours=1),
        summary="x",
        actor=ADVISER,
        now=DUE + timedelta(hours=1),
    )
    runner.run_until_idle()
    with runner.db.reading({"sla": "sla"}) as tx:
        board = dashboard(tx, start=NOW, end=NOW + timedelta(days=1), now=DUE + timedelta(hours=2))
    assert (board["total"], board["answered_on_time"], board["answered_late"]) == (4, 1, 1)
    assert (board["open_on_time"], board["open_overdue"]) == (0, 2)
    assert board["on_time_rate"] == 0.25
    assert board["median_working_hours_to_first_response"] == 39.0  # median of 5 and 73
    assert [(p["partner"], p["total"]) for p in board["by_partner"]] == [("caf", 3), ("cpam", 1)]
    assert [(c["channel"], c["total"]) for c in board["by_channel"]] == [
        ("contact_form", 1),
        ("email", 3),
    ]
    assert overdue.due_at == DUE
