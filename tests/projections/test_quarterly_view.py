"""The quarterly report: counts per structure and quarter, rebuildable after destructions."""

from datetime import timedelta

from application.ledger import Ledger
from projections import VIEW_TABLES
from projections.db import csv_chunks, hex_id
from projections.quarterly import csv_lines, report
from projections.runner import ProjectionRunner
from projections.sla_queries import dashboard
from tests.builders import ADVISER, DPO, NOW, open_request, sign_mandate, view_rows

ZOE = {"first_name": "Zoé", "last_name": "Test"}
LATER = NOW + timedelta(hours=2)
TABLES = VIEW_TABLES


def given_a_quarter(ledger: Ledger, structure: str) -> None:
    first = open_request(ledger, structure, channel="counter", user=ZOE)
    open_request(ledger, structure, channel="counter", user=ZOE)
    late = open_request(ledger, structure, partner="cpam")
    on_time = open_request(ledger, structure)
    ledger.requests.respond(on_time.id, at=LATER, summary="x", actor=ADVISER, now=LATER)
    after = NOW + timedelta(days=4)
    ledger.requests.respond(late.id, at=after, summary="x", actor=ADVISER, now=after)
    ledger.requests.resolve(first.id, outcome="solved", at=LATER, actor=ADVISER, now=LATER)
    mandate = sign_mandate(ledger, structure)
    ledger.mandates.revoke_mandate(
        mandate.id,
        requested_by="mandant",
        channel="phone",
        reason="r",
        at=LATER,
        actor=ADVISER,
        now=LATER,
    )


def test_the_quarter_counts_visits_users_requests_sla_outcomes_and_mandates(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    given_a_quarter(ledger, structure)
    runner.run_until_idle()
    structure_id = hex_id(ledger.structures.get(structure).id) or ""
    with runner.db.reading(TABLES) as tx:
        q4 = report(tx, structure_id, "2026-Q4", NOW + timedelta(days=5))
        empty = report(tx, structure_id, "2026-Q3", NOW + timedelta(days=5))
    assert {
        k: q4[k]
        for k in (
            "visits",
            "distinct_users",
            "requests",
            "answered_on_time",
            "answered_late",
            "mandates_signed",
            "mandates_revoked",
        )
    } == {
        "visits": 2,
        "distinct_users": 2,  # Zoé, and the same default user twice
        "requests": 4,
        "answered_on_time": 1,
        "answered_late": 1,
        "mandates_signed": 1,
        "mandates_revoked": 1,
    }
    assert q4["sla_on_time_rate"] == 0.5
    assert q4["outcomes"] == {"solved": 1}
    assert [(r["partner"], r["channel"], r["requests"]) for r in q4["requests_by"]] == [
        ("caf", "counter", 2),
        ("caf", "email", 1),
        ("cpam", "email", 1),
    ]
    assert (empty["requests"], empty["sla_on_time_rate"]) == (0, None)


def test_the_csv_streams_the_detailed_counts(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    given_a_quarter(ledger, structure)
    runner.run_until_idle()
    with runner.db.reading(TABLES) as tx:
        lines = "".join(csv_chunks(csv_lines(tx, "2026-Q4", page=1))).splitlines()
    assert lines[0] == "structure_id,quarter,partner,theme,channel,mission,requests"
    assert len(lines) == 1 + 3
    assert lines[1].endswith(",2026-Q4,caf,rsa,counter,administrative_help,2")


def test_a_rebuild_after_destruction_gives_the_same_report(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    given_a_quarter(ledger, structure)
    for request_id in [
        n.originator_id
        for n in ledger.recorder.select_notifications(None, 100)
        if n.topic.endswith("Request.Opened")
    ]:
        ledger.personal_data.destroy_envelope(
            ledger.requests.get(request_id).envelope_id,
            reason="data_subject_request",
            actor=DPO,
            now=NOW + timedelta(days=5),  # after every event of the quarter's cases
        )
    runner.run_until_idle()
    before = view_rows(runner, ("quarterly",))
    runner.rebuild("quarterly")
    assert view_rows(runner, ("quarterly",)) == before


def test_the_quarterly_on_time_rate_is_the_dashboards(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    """One answered on time, one still unanswered past its deadline: 0.5 in both."""
    answered, _ = open_request(ledger, structure), open_request(ledger, structure)
    ledger.requests.respond(answered.id, at=LATER, summary="x", actor=ADVISER, now=LATER)
    runner.run_until_idle()
    now = NOW + timedelta(days=7)
    structure_id = hex_id(ledger.structures.get(structure).id) or ""
    with runner.db.reading(VIEW_TABLES) as tx:
        quarter = report(tx, structure_id, "2026-Q4", now)
        board = dashboard(
            tx, start=NOW - timedelta(days=1), end=now, now=now, structure_id=structure_id
        )
    assert quarter["open_overdue"] == 1
    assert quarter["sla_on_time_rate"] == board["on_time_rate"] == 0.5
