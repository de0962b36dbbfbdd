"""Each job's tick at chosen instants: across weekends, French holidays (Alsace-Moselle included)
and both clock changes, the exact alerts and records, none missing, none twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from application.ledger import Ledger
from domain.policy import Policy
from domain.request import Request
from projections import VIEW_TABLES, retention
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_parts
from scheduler.cnil import CnilJob
from scheduler.jobs import Context, Job, Report
from scheduler.mandates import MandateJob
from scheduler.retention import RetentionJob
from scheduler.sla import SlaJob
from scheduler.visits import VisitTokenJob
from tests.builders import (
    ADMIN,
    ADVISER,
    DPO,
    WEEKDAYS_9_TO_14,
    declare_breach,
    open_request,
    sign_mandate,
)
from tests.scheduler.conftest import Told
from tests.store.backends import store_contains

PARIS = ZoneInfo("Europe/Paris")
Tick = Callable[[Job, datetime], Report]


def paris(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=PARIS)  # type: ignore[misc]


def seen(told: Told) -> list[tuple[str, str, datetime, datetime]]:
    """(kind, level, due_at, raised_at) of each alert told, in UTC."""
    return [(n.kind, n.level, n.due_at.astimezone(UTC), n.raised_at) for n in told]


def alert_rows(runner: ProjectionRunner) -> list[tuple[Any, ...]]:
    runner.run_until_idle()
    with runner.db.reading(VIEW_TABLES) as tx:
        return tx.all("SELECT kind, level, subject_id, due_at FROM {alerts} ORDER BY due_at, level")


def register(ledger: Ledger, code: str, department: str) -> str:
    ledger.structures.register_structure(
        code=code,
        name=f"FS {code}",
        department=department,
        timetable=WEEKDAYS_9_TO_14,
        actor=ADMIN,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return code


# SLA (Art. 4.2) ----------------------------------------------------------------------------

SLA_CASES = {
    # department, received (Paris time) -> warning (24 working hours left), deadline (72 h)
    "weekend": ("82", paris(2026, 11, 27, 10), paris(2026, 12, 1, 10), paris(2026, 12, 2, 10)),
    "ascension": ("82", paris(2026, 5, 13, 15), paris(2026, 5, 18, 15), paris(2026, 5, 19, 15)),
    "good friday in 82": (
        "82",
        paris(2026, 4, 2, 10),
        paris(2026, 4, 7, 10),
        paris(2026, 4, 8, 10),
    ),
    "good friday in 57": (
        "57",
        paris(2026, 4, 2, 10),
        paris(2026, 4, 8, 10),
        paris(2026, 4, 9, 10),
    ),
    "spring clock change": (
        "82",
        paris(2026, 3, 27, 10),
        paris(2026, 3, 31, 10),
        paris(2026, 4, 1, 10),
    ),
    "autumn clock change": (
        "82",
        paris(2026, 10, 23, 10),
        paris(2026, 10, 27, 10),
        paris(2026, 10, 28, 10),
    ),
}


@pytest.mark.parametrize("case", SLA_CASES)
def test_sla_alerts_fall_due_24_working_hours_before_and_at_the_deadline(
    ledger: Ledger, context: Context, told: Told, tick: Tick, runner: ProjectionRunner, case: str
) -> None:
    department, received, warning, deadline = SLA_CASES[case]
    structure = register(ledger, f"fs-{department}", department)
    request = open_request(ledger, structure, received_at=received, now=received)
    assert request.due_at == deadline
    job = SlaJob(context)
    minute = timedelta(minutes=1)
    for now in (warning - minute, warning, warning + minute, deadline - minute):
        tick(job, now)
    assert seen(told) == [("sla", "warning", warning.astimezone(UTC), warning)]
    for now in (deadline, deadline + minute, deadline + timedelta(days=3)):
        tick(job, now)
    assert seen(told) == [
        ("sla", "warning", warning.astimezone(UTC), warning),
        ("sla", "critical", deadline.astimezone(UTC), deadline),
    ]
    assert len(alert_rows(runner)) == 2


def test_after_downtime_the_first_tick_raises_every_sla_alert_with_its_own_due_at(
    ledger: Ledger, structure: str, context: Context, told: Told, tick: Tick
) -> None:
    _, received, warning, deadline = SLA_CASES["weekend"]
    open_request(ledger, structure, received_at=received, now=received)
    back = deadline + timedelta(days=4)
    report = tick(SlaJob(context), back)
    assert seen(told) == [
        ("sla", "warning", warning.astimezone(UTC), back),
        ("sla", "critical", deadline.astimezone(UTC), back),
    ]
    assert report.done == {"sla_warning": 1, "sla_critical": 1}
    assert tick(SlaJob(context), back + timedelta(hours=1)).done == {}


def test_answered_and_counter_requests_raise_no_sla_alert(
    ledger: Ledger, structure: str, context: Context, told: Told, tick: Tick
) -> None:
    _, received, _, deadline = SLA_CASES["weekend"]
    answered = open_request(ledger, structure, received_at=received, now=received)
    ledger.requests.respond(
        answered.id, at=received, summary="answered", actor=ADVISER, now=received
    )
    open_request(ledger, structure, channel="counter", received_at=received, now=received)
    tick(SlaJob(context), deadline + timedelta(days=1))
    assert told == []


def test_the_sla_warning_threshold_is_configurable(
    ledger: Ledger, structure: str, context: Context, told: Told, tick: Tick
) -> None:
    _, received, _, deadline = SLA_CASES["weekend"]
    open_request(ledger, structure, received_at=received, now=received)
    tick(SlaJob(context, warning_hours=48), paris(2026, 11, 30, 10))
    assert seen(told) == [
        ("sla", "warning", paris(2026, 11, 30, 10).astimezone(UTC), paris(2026, 11, 30, 10))
    ]
    assert deadline - timedelta(hours=48) == paris(2026, 11, 30, 10)


# CNIL (GDPR 33) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aware", "deadline"),
    [
        (paris(2026, 3, 27, 10), datetime(2026, 3, 30, 9, tzinfo=UTC)),  # 72 real hours
        (paris(2026, 10, 23, 10), datetime(2026, 10, 26, 8, tzinfo=UTC)),
    ],
)
def test_cnil_alerts_fall_due_24_12_and_0_hours_before_the_deadline_then_critical(
    ledger: Ledger,
    context: Context,
    told: Told,
    tick: Tick,
    runner: ProjectionRunner,
    aware: datetime,
    deadline: datetime,
) -> None:
    breach = declare_breach(ledger, aware_at=aware, now=aware + timedelta(hours=1))
    assert breach.cnil_deadline == deadline
    job, minute, hours = CnilJob(context), timedelta(minutes=1), timedelta(hours=1)
    thresholds = [deadline - 24 * hours, deadline - 12 * hours, deadline]
    for at in thresholds:
        tick(job, at - minute)
        tick(job, at)
    tick(job, deadline + minute)
    tick(job, deadline + 5 * hours)
    expected = [("cnil", "warning", at, at) for at in thresholds]
    assert seen(told) == [*expected, ("cnil", "critical", deadline, deadline + minute)]
    assert len(alert_rows(runner)) == 4


def test_a_notified_or_not_notifiable_breach_raises_no_cnil_alert(
    ledger: Ledger, context: Context, told: Told, tick: Tick
) -> None:
    aware = paris(2026, 3, 27, 10)
    notified = declare_breach(ledger, aware_at=aware, now=aware)
    ledger.breaches.notify_cnil(
        notified.id, phase="initial", at=aware, reference="CNIL-1", actor=DPO, now=aware
    )
    harmless = declare_breach(ledger, aware_at=aware, now=aware)
    ledger.breaches.assess_breach_risk(
        harmless.id, level="none", rationale="encrypted", actor=DPO, now=aware
    )
    tick(CnilJob(context), aware + timedelta(days=5))
    assert told == []


# Mandates (Art. 4.6) -----------------------------------------------------------------------


def test_a_mandate_is_noticed_30_days_before_its_end_and_expires_at_it_across_the_clock_change(
    ledger: Ledger, structure: str, context: Context, told: Told, tick: Tick
) -> None:
    signed_at = paris(2026, 2, 2, 10)
    end = paris(2026, 3, 29, 12)  # the spring clock change: 10:00 UTC
    mandate = sign_mandate(
        ledger,
        structure,
        valid_until=end,
        identity_verification={"document_type": "id_card", "verified_at": signed_at},
        now=signed_at,
    )
    job, minute = MandateJob(context), timedelta(minutes=1)
    notice = end.astimezone(UTC) - timedelta(days=30)  # 30 real days: 10:00 UTC on 27 Feb
    reports = [tick(job, at) for at in (notice - minute, notice, end - minute, end, end + minute)]
    assert seen(told) == [("mandate", "warning", notice, notice)]
    assert [r.done for r in reports] == [{}, {"mandate_warning": 1}, {}, {"expired": 1}, {}]
    expired = ledger.mandates.get(mandate.id)
    assert expired.expired_at == end
    assert expired.status(end) == "expired"


# Retention (Art. 4.6) ----------------------------------------------------------------------


def test_every_envelope_that_falls_due_is_destroyed_with_its_reason_and_no_other(
    ledger: Ledger,
    structure: str,
    settings: Settings,
    context: Context,
    tick: Tick,
    runner: ProjectionRunner,
) -> None:
    start = paris(2026, 11, 23, 10)
    marker = f"Marqueur{UUID(int=7).hex[-8:]}"
    resolved = open_request(
        ledger,
        structure,
        user={"first_name": "A", "last_name": marker},
        received_at=start,
        now=start,
    )
    ledger.requests.resolve(
        resolved.id,
        outcome="solved",
        at=start + timedelta(hours=1),
        actor=ADVISER,
        now=start + timedelta(hours=1),
    )
    inactive = open_request(ledger, structure, received_at=start, now=start)
    mandate = sign_mandate(
        ledger,
        structure,
        valid_until=start + timedelta(days=30),
        identity_verification={"document_type": "id_card", "verified_at": start},
        now=start,
    )
    job = RetentionJob(context)
    assert tick(job, start).done == {}
    assert tick(job, start + timedelta(hours=1)).done == {"destroyed": 1}
    assert store_contains(settings, marker.encode()) == []
    in_two_years = start + timedelta(days=2 * 366)
    assert tick(job, in_two_years).done == {"destroyed": 1}
    in_seven_years = start + timedelta(days=7 * 366)
    assert tick(job, in_seven_years).done == {"destroyed": 1}
    assert tick(job, in_seven_years + timedelta(days=1)).done == {}
    reasons = {
        owner.id: owner.destruction_reason
        for owner in (
            ledger.requests.get(resolved.id),
            ledger.requests.get(inactive.id),
        )
    }
    assert reasons == {resolved.id: "procedure_resolved", inactive.id: "inactive"}
    assert ledger.mandates.get(mandate.id).destroyed_at == in_seven_years
    runner.run_until_idle()
    with runner.db.reading(VIEW_TABLES) as tx:
        assert retention.due(tx, in_seven_years) == []


def test_a_grace_period_is_counted_in_real_days_across_the_clock_change(
    settings: Settings, ledger: Ledger, runner: ProjectionRunner, told: Told, tick: Tick
) -> None:
    structure = register(ledger, "fs-82", "82")
    graceful = Ledger(open_parts(settings), policy=Policy(request_resolved_grace=timedelta(days=1)))
    try:
        resolved_at = paris(2026, 3, 28, 12)  # Saturday, 11:00 UTC; Sunday is 23 hours long
        request = open_request(graceful, structure, received_at=resolved_at, now=resolved_at)
        graceful.requests.resolve(
            request.id, outcome="solved", at=resolved_at, actor=ADVISER, now=resolved_at
        )
        due = datetime(2026, 3, 29, 11, tzinfo=UTC)  # 24 real hours later: 13:00 in Paris
        assert graceful.requests.get(request.id).data_due_at == due
        job = RetentionJob(Context(graceful, lambda: runner.db.reading(VIEW_TABLES), told))
        assert tick(job, due - timedelta(minutes=1)).done == {}
        assert tick(job, due).done == {"destroyed": 1}
        assert graceful.requests.get(request.id).destruction_reason == "procedure_resolved"
    finally:
        graceful.close()


def test_a_failed_destruction_alerts_the_dpo_once_and_is_tried_again(
    ledger: Ledger,
    structure: str,
    context: Context,
    told: Told,
    tick: Tick,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = paris(2026, 11, 23, 10)
    request = open_request(ledger, structure, received_at=start, now=start)
    ledger.requests.resolve(request.id, outcome="solved", at=start, actor=ADVISER, now=start)
    real = ledger.personal_data.destroy_envelope

    def broken(*_: Any, **__: Any) -> Request:
        raise OSError("disk full")

    monkeypatch.setattr(ledger.personal_data, "destroy_envelope", broken)
    job = RetentionJob(context)
    later = start + timedelta(hours=1)
    assert tick(job, later).done == {"failed": 1, "retention_critical": 1}
    assert tick(job, later + timedelta(minutes=1)).done == {"failed": 1}
    assert seen(told) == [("retention", "critical", start.astimezone(UTC), later)]
    monkeypatch.setattr(ledger.personal_data, "destroy_envelope", real)
    assert tick(job, later + timedelta(minutes=2)).done == {"destroyed": 1}
    assert ledger.requests.get(request.id).destroyed_at is not None


# Visit tokens ------------------------------------------------------------------------------


def test_visit_tokens_older_than_the_previous_quarter_are_purged(
    ledger: Ledger, context: Context, tick: Tick
) -> None:
    structure = register(ledger, "fs-82", "82")
    now = paris(2026, 11, 23, 10)  # Q4: Q3 and Q4 are kept
    for received in (paris(2026, 2, 2, 10), paris(2026, 5, 4, 10), paris(2026, 8, 3, 10), now):
        open_request(ledger, structure, received_at=received, now=now)
    job = VisitTokenJob(context)
    assert tick(job, now).done == {"purged": 2}
    assert tick(job, now).done == {"purged": 0}
