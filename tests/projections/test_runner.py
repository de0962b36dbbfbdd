"""The runner: exactly once, every event advances the position, a poison event stops one view."""

from datetime import timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from application.ledger import Ledger
from projections import runner as runner_module
from projections.db import BULK_CHECKPOINT_PAGES
from projections.runner import ProjectionRunner, RebuildFailed
from projections.sla_view import sla
from tests.builders import ADVISER, DPO, NOW, declare_breach, open_request, sign_mandate, view_rows
from tests.projections.bulk import bulk_requests


def given_a_busy_day(ledger: Ledger, structure: str) -> None:
    for i in range(12):
        request = open_request(ledger, structure, channel="email" if i % 2 else "counter")
        at = NOW + timedelta(hours=i)
        ledger.requests.respond(request.id, at=at, summary="done", actor=ADVISER, now=at)
        if i % 3 == 0:
            ledger.requests.resolve(request.id, outcome="solved", at=at, actor=ADVISER, now=at)
    mandate = sign_mandate(ledger, structure)
    ledger.mandates.revoke_mandate(
        mandate.id,
        requested_by="mandant",
        channel="phone",
        reason="x",
        at=NOW,
        actor=ADVISER,
        now=NOW,
    )
    declare_breach(ledger, now=NOW)
    token, _ = ledger.satisfaction.issue_link(
        structure_code=structure, channel="counter", actor=ADVISER, now=NOW
    )
    ledger.satisfaction.answer_link(token, answers={"overall": "satisfied"}, now=NOW)
    complaint = ledger.complaints.receive_complaint(
        structure_code=structure,
        channel="counter",
        topic="waiting",
        received_at=NOW,
        complainant={"first_name": "Zoé", "last_name": "Test"},
        text="waited",
        actor=ADVISER,
        now=NOW,
    )
    ledger.complaints.answer_complaint(complaint.id, at=NOW, answer="ok", actor=ADVISER, now=NOW)
    ledger.satisfaction.record_answer(
        structure_code=structure,
        channel="phone",
        answers={"overall": "dissatisfied", "waiting": "no"},
        actor=ADVISER,
        now=NOW,
    )


def built_incrementally(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> dict[str, list[Any]]:
    """The rows of every view after a busy day, built by the runner in batches of 7."""
    given_a_busy_day(ledger, structure)
    runner.batch = 7
    runner.run_until_idle()
    return view_rows(runner)


def test_running_again_changes_nothing(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    given_a_busy_day(ledger, structure)
    assert runner.run_until_idle() > 0
    before = view_rows(runner)
    assert runner.run_until_idle() == 0
    assert view_rows(runner) == before


def test_a_runner_told_to_stop_leaves_a_backlog_after_one_round(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    """A server stopping while its views catch up a backlog stops after the round of batches
    under way, not when the backlog is done (a SQLite server 66,660 events behind took 21 s),
    and the next run takes up where it stopped."""
    given_a_busy_day(ledger, structure)
    runner.batch = 3
    rounds: list[int] = []

    def stop_after_two_rounds() -> bool:
        rounds.append(1)
        return len(rounds) > 2

    assert runner.run_until_idle(stop=stop_after_two_rounds) > 0
    assert len(rounds) == 3  # asked before each round: two ran, the third did not
    head = runner.head()
    unfiltered = [name for name, p in runner.projections.items() if not p.topics]
    assert unfiltered  # these read every event: two rounds move them 2 x 3 events at most
    for status in runner.status():
        if status.view in unfiltered:
            assert status.position == min(2 * 3, head) < head
    assert runner.run_until_idle() > 0
    assert all(s.lag == 0 and s.status == "ok" for s in runner.status())


def test_every_view_reaches_the_head_even_through_events_it_ignores(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    given_a_busy_day(ledger, structure)
    runner.run_until_idle()
    head = ledger.recorder.max_notification_id()
    assert {(s.view, s.position, s.lag, s.status) for s in runner.status()} == {
        (name, head, 0, "ok")
        for name in (
            "sla",
            "audit_trail",
            "breaches",
            "mandates",
            "alerts",
            "quarterly",
            "retention",
            "structures",
            "integrity",
            "satisfaction",
            "complaints",
            "referents",
            "flash_audits",
        )
    }


def test_a_rebuild_from_zero_equals_the_incremental_build(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    incremental = built_incrementally(ledger, structure, runner)
    for name in runner.projections:
        runner.rebuild(name)
    assert view_rows(runner) == incremental
    assert all(s.lag == 0 for s in runner.status())


def test_a_one_pass_rebuild_of_every_view_equals_the_incremental_build(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    incremental = built_incrementally(ledger, structure, runner)
    spent: dict[str, float] = {}
    runner.batch = 500
    with capture_logs() as logs:
        runner.rebuild_all()  # over views that hold rows, as an operator's rebuild is
        position = runner.rebuild_all(spent=spent)
    assert [e for e in logs if e["event"] == "rebuild_pass_failed"] == []  # one pass each time
    assert view_rows(runner) == incremental
    assert position == runner.head()
    assert all(s.lag == 0 and s.status == "ok" for s in runner.status())
    assert set(spent) == {"read + decode", "parse", *runner.projections}
    assert all(seconds > 0 for seconds in spent.values())


def test_a_view_built_one_event_per_batch_equals_one_built_in_large_batches(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    """Views that keep a batch's changes in memory (``sla``, ``retention``...) write the same
    rows whatever the batch holds: an envelope opened, moved and destroyed in one batch or
    across several."""
    given_a_busy_day(ledger, structure)
    request = open_request(ledger, structure)
    ledger.requests.respond(request.id, at=NOW, summary="done", actor=ADVISER, now=NOW)
    ledger.requests.resolve(request.id, outcome="solved", at=NOW, actor=ADVISER, now=NOW)
    ledger.personal_data.destroy_envelope(
        request.envelope_id, reason="data_subject_request", actor=DPO, now=NOW
    )
    runner.batch = 1
    runner.run_until_idle()
    one_by_one = view_rows(runner)
    runner.batch = 500
    runner.rebuild_all()
    assert view_rows(runner) == one_by_one
    assert any(row[-1] is not None for row in one_by_one["retention"])  # a destruction is in


def test_a_one_pass_rebuild_of_thousands_of_requests_makes_one_pass(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    """Pages of 500 events where every view writes: a view's read never meets another view's
    results (on PostgreSQL a shared pipelined cursor did, and the pass fell back to one view
    at a time)."""
    bulk_requests(ledger, structure, 3000, start=NOW, actor=ADVISER)
    runner.batch = 500
    with capture_logs() as logs:
        for _ in range(3):  # the pipelined pass failed in about one of three
            runner.rebuild_all()
    assert [e for e in logs if e["event"] == "rebuild_pass_failed"] == []
    assert all(s.lag == 0 and s.status == "ok" for s in runner.status())


def test_a_one_pass_decodes_only_the_events_a_decoding_view_reads_and_parses_each_once(
    ledger: Ledger, structure: str, runner: ProjectionRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    given_a_busy_day(ledger, structure)
    decoded: list[str] = []
    parsed: list[int] = []
    decode, parse = runner.mapper.to_domain_event, runner_module.parse

    def counted_decode(notification: Any) -> Any:
        decoded.append(notification.topic)
        return decode(notification)

    def counted_parse(notification: Any) -> Any:
        parsed.append(notification.id)
        return parse(notification)

    monkeypatch.setattr(runner.mapper, "to_domain_event", counted_decode)
    monkeypatch.setattr(runner_module, "parse", counted_parse)
    runner.rebuild_all()
    read = set().union(*(p.topics for p in runner.projections.values() if p.decodes))
    logged = [n.topic for n in runner.read(0, runner.head())]
    assert decoded == [t for t in logged if t in read]  # each event a decoding view reads, once
    assert "domain.request:Request.Responded" not in decoded  # most of the log is not decoded
    assert sorted(parsed) == list(range(1, runner.head() + 1))  # each event once (audit_trail)
    decoded.clear()
    runner.rebuild_all(["sla", "audit_trail", "quarterly", "retention"])
    assert decoded == []


def test_a_rebuild_checkpoints_the_sqlite_wal_rarely_and_restores_the_setting(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    """During a rebuild (one view or one pass) the runner's connection copies the WAL back
    every ``BULK_CHECKPOINT_PAGES`` pages, not every 1,000; afterwards its own setting is back,
    the views are complete, and a failed rebuild restores it too. PostgreSQL: no such setting."""
    given_a_busy_day(ledger, structure)
    sqlite = runner.db.backend == "sqlite"

    def setting() -> int | None:
        if not sqlite:
            return None
        return int(runner.db.connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    seen: list[int | None] = []
    runner.batch = 5
    runner.rebuild_all(progress=lambda _: seen.append(setting()))
    runner.rebuild("sla", progress=lambda _: seen.append(setting()))
    assert len(seen) > 2
    assert set(seen) == {BULK_CHECKPOINT_PAGES if sqlite else None}
    assert setting() == (1000 if sqlite else None)
    assert all(s.lag == 0 and s.status == "ok" for s in runner.status())

    def failing(_: int) -> None:
        raise RuntimeError("stopped by the operator")

    with pytest.raises(RuntimeError):
        runner.rebuild("sla", progress=failing)
    assert setting() == (1000 if sqlite else None)


def test_events_recorded_during_a_rebuild_are_not_lost(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    given_a_busy_day(ledger, structure)
    runner.run_until_idle()
    runner.batch = 5
    calls: list[int] = []

    def meanwhile_an_adviser_opens_a_request(_: int) -> None:
        calls.append(1)
        if len(calls) <= 3:
            open_request(ledger, structure)

    runner.rebuild("sla", progress=meanwhile_an_adviser_opens_a_request)
    runner.run_until_idle()
    rebuilt = view_rows(runner, ("sla",))
    runner.rebuild("sla")
    assert view_rows(runner, ("sla",)) == rebuilt
    assert len(rebuilt["sla"]) == 12 + 3


def poison(monkeypatch: pytest.MonkeyPatch, position: int) -> None:
    """The sla view fails, every time, on the event at ``position``."""
    original = sla.apply

    def failing(tx: Any, items: Any) -> None:
        if any(notification.id == position for _, notification in items):
            raise ValueError("cannot project this event")
        original(tx, items)

    monkeypatch.setattr(sla, "apply", failing)


def test_a_poison_event_stops_its_view_only_and_keeps_what_came_before(
    ledger: Ledger, structure: str, runner: ProjectionRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = [open_request(ledger, structure) for _ in range(5)]
    third = ledger.recorder.select_notifications(None, 100)[3].id
    poison(monkeypatch, third)
    runner.run_until_idle()
    status = {s.view: s for s in runner.status()}
    assert (status["sla"].status, status["sla"].failed_position) == ("failed", third)
    assert status["sla"].position == third - 1
    assert "ValueError" in (status["sla"].error or "")
    assert {s.status for name, s in status.items() if name != "sla"} == {"ok"}
    assert status["audit_trail"].lag == 0
    assert len(view_rows(runner, ("sla",))["sla"]) == 2
    assert requests[4].id


def test_a_rebuild_that_meets_a_poison_event_keeps_the_old_view(
    ledger: Ledger, structure: str, runner: ProjectionRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        open_request(ledger, structure)
    runner.run_until_idle()
    before = view_rows(runner, ("sla",))
    poison(monkeypatch, ledger.recorder.select_notifications(None, 100)[3].id)
    with pytest.raises(RebuildFailed):
        runner.rebuild("sla")
    assert view_rows(runner, ("sla",)) == before
    assert [s.status for s in runner.status() if s.view == "sla"] == ["ok"]


def test_a_one_pass_rebuild_that_meets_a_poison_event_names_the_view_and_keeps_the_old_ones(
    ledger: Ledger, structure: str, runner: ProjectionRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        open_request(ledger, structure)
    runner.run_until_idle()
    before = view_rows(runner)
    poison(monkeypatch, ledger.recorder.select_notifications(None, 100)[3].id)
    with pytest.raises(RebuildFailed, match="rebuild of sla stopped"):
        runner.rebuild_all(["audit_trail", "sla", "retention"])
    assert view_rows(runner) == before
    assert {s.status for s in runner.status()} == {"ok"}
    leftovers = (
        "SELECT name FROM sqlite_master WHERE type = 'table' AND instr(name, '__') > 0"
        if runner.db.backend == "sqlite"
        else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND strpos(tablename, '__') > 0"
    )
    assert runner.db.query(leftovers) == []
    assert len(runner.db.query("SELECT view FROM projection_tracking")) == len(runner.projections)


def test_migrate_rebuilds_a_view_whose_definition_changed(
    ledger: Ledger, structure: str, runner: ProjectionRunner
) -> None:
    given_a_busy_day(ledger, structure)
    runner.run_until_idle()
    current = view_rows(runner)
    with runner.db.transaction() as tx:  # as if the deployed code were one version behind
        tx.run("UPDATE projection_tracking SET version = 0 WHERE view = 'sla'")
        tx.run("DELETE FROM sla")
    runner.migrate()
    assert view_rows(runner) == current
    with runner.db.reading() as tx:
        assert tx.one("SELECT version FROM projection_tracking WHERE view = 'sla'") == (
            sla.version,
        )
