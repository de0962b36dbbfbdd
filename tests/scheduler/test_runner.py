"""The scheduler as it runs: one leader at a time, catch-up after a stop, and on PostgreSQL a
follower that takes over when the leader is killed, every alert still raised once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from application.ledger import Ledger
from projections.db import ViewDb
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_scheduler, open_view_db
from scheduler import heartbeat
from scheduler.runner import Scheduler
from tests.builders import ADVISER, TEST_MASTER_KEY, TEST_SECRET, declare_breach, open_request
from tests.scheduler.conftest import Told
from tests.store.backends import store_contains


def raised_alerts(ledger: Ledger) -> list[tuple[str, str, datetime]]:
    """Every Alert.Raised in the log: (kind, level, due_at), in log order."""
    return [
        (event.kind, event.level, event.due_at)
        for notification in ledger.recorder.select_notifications(1, 10_000)
        if notification.topic.endswith("Alert.Raised")
        for event in [ledger.mapper.to_domain_event(notification)]
    ]


def until(condition: Callable[[], bool], seconds: float = 30) -> None:
    """Waits for other processes to reach a state (not for time to pass)."""
    reached = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        reached.wait(0.05)
    raise AssertionError("the expected state was never reached")


@pytest.fixture
def views(settings: Settings) -> Iterator[ViewDb]:
    opened = open_view_db(settings)
    yield opened
    opened.close()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def scheduler(
    settings: Settings, ledger: Ledger, views: ViewDb, clock: Clock, told: Told
) -> Scheduler:
    return open_scheduler(settings, ledger, views, clock=clock, notify=told)


def test_only_the_holder_of_the_leader_lock_acts(
    settings: Settings, ledger: Ledger, views: ViewDb, told: Told
) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    first, second = (scheduler(settings, ledger, views, clock, told) for _ in range(2))
    try:
        assert [r.job for r in first.run_all()] == [
            "sla",
            "cnil",
            "mandates",
            "retention",
            "complaints",
            "visit_tokens",
            "integrity",
        ]
        assert second.run_all() == []
        first.stop()
        assert len(second.run_all()) == 7
        assert {t["leader"] for t in heartbeat.ticks(views)} == {second.identity}
    finally:
        first.stop()
        second.stop()


def test_after_a_stop_across_several_due_instants_a_restart_catches_up_once(
    settings: Settings,
    ledger: Ledger,
    structure: str,
    views: ViewDb,
    runner: ProjectionRunner,
    told: Told,
) -> None:
    start = datetime(2026, 11, 27, 9, tzinfo=UTC)  # a Friday, 10:00 in Paris
    clock = Clock(start)
    first = scheduler(settings, ledger, views, clock, told)
    first.run_all()
    first.stop()
    marker = "Marqueurdowntime"
    request = open_request(ledger, structure, received_at=start, now=start)
    resolved = open_request(
        ledger,
        structure,
        user={"first_name": "B", "last_name": marker},
        received_at=start,
        now=start,
    )
    ledger.requests.resolve(resolved.id, outcome="solved", at=start, actor=ADVISER, now=start)
    declare_breach(ledger, aware_at=start, now=start)
    # Down from Friday to the next Friday: the request's warning and deadline, the breach's
    # three warnings and its deadline, and the resolved case's destruction all fell due.
    clock.now = start + timedelta(days=7)
    runner.run_until_idle()
    second = scheduler(settings, ledger, views, clock, told)
    try:
        second.run_all()
        runner.run_until_idle()
        second.run_all()
    finally:
        second.stop()
    deadline = datetime(2026, 12, 2, 9, tzinfo=UTC)
    cnil = start + timedelta(hours=72)
    assert sorted((a[0], a[1], a[2].astimezone(UTC)) for a in raised_alerts(ledger)) == sorted(
        [
            ("sla", "warning", deadline - timedelta(hours=24)),
            ("sla", "critical", deadline),
            ("cnil", "warning", cnil - timedelta(hours=24)),
            ("cnil", "warning", cnil - timedelta(hours=12)),
            ("cnil", "warning", cnil),
            ("cnil", "critical", cnil),
        ]
    )
    assert {n.raised_at for n in told} == {clock.now}
    assert ledger.requests.get(resolved.id).destroyed_at == clock.now
    assert ledger.requests.get(request.id).user is not None
    assert store_contains(settings, marker.encode()) == []


def test_a_stop_during_a_tick_ends_it_after_the_current_row_and_the_next_raises_the_rest(
    settings: Settings,
    ledger: Ledger,
    structure: str,
    views: ViewDb,
    runner: ProjectionRunner,
    told: Told,
) -> None:
    """A server stopping while its scheduler raises thousands of overdue alerts (seen: 88 s
    to stop after 100,000 requests opened) ends the tick after the request under way."""
    start = datetime(2026, 11, 27, 9, tzinfo=UTC)
    for _ in range(3):
        open_request(ledger, structure, received_at=start, now=start)
    runner.run_until_idle()
    clock = Clock(start + timedelta(days=7))
    made: list[Scheduler] = []

    def stop_after_first(notice: Any) -> None:
        told(notice)
        made[0].stopping.set()  # what ``Scheduler.stop`` sets first, from the server's thread

    first = open_scheduler(settings, ledger, views, clock=clock, notify=stop_after_first)
    made.append(first)
    try:
        report = first.run(first.planned[0].job)
    finally:
        first.stop()
    assert report is not None
    assert report.done == {"sla_warning": 1, "sla_critical": 1, "interrupted": 1}
    assert len(raised_alerts(ledger)) == 2
    second = scheduler(settings, ledger, views, clock, told)
    try:
        second.run_all()
    finally:
        second.stop()
    assert len(raised_alerts(ledger)) == 6
    assert len({(a[1], a[2]) for a in raised_alerts(ledger)}) == 2  # same two instants each
    assert len({n.alert_id for n in told}) == 6


def test_stopping_the_scheduler_sets_what_its_jobs_read(
    settings: Settings, ledger: Ledger, views: ViewDb, told: Told
) -> None:
    made = scheduler(settings, ledger, views, Clock(datetime(2026, 11, 23, 9, tzinfo=UTC)), told)
    contexts = {id(p.job.context) for p in made.planned if hasattr(p.job, "context")}
    job = made.planned[0].job
    assert len(contexts) == 1
    assert not job.context.stopping.is_set()  # type: ignore[attr-defined]
    made.stop()
    assert job.context.stopping.is_set()  # type: ignore[attr-defined]


def start_scheduler(settings: Settings, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "LEDGER_DATABASE_URL": settings.database_url,
        "LEDGER_SUBJECT_SECRET": TEST_SECRET,
        "LEDGER_MASTER_KEY": TEST_MASTER_KEY,
        "LEDGER_SCHEDULER_INTERVAL_SECONDS": "0.2",
    }
    log = (tmp / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "scheduler", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def leader_of(views: ViewDb) -> Any:
    ticks = heartbeat.ticks(views)
    return max(ticks, key=lambda t: t["ticked_at"])["leader"] if ticks else None


def test_when_the_leader_is_killed_the_follower_takes_over_and_raises_each_alert_once(
    settings: Settings,
    ledger: Ledger,
    views: ViewDb,
    runner: ProjectionRunner,
    tmp_path: Path,
) -> None:
    """Two ``ledger scheduler run`` processes on the real clock: breaches four days old are
    past every CNIL threshold, so each must give exactly four alerts, whoever leads."""
    processes = [start_scheduler(settings, tmp_path, name) for name in ("one", "two")]
    try:
        until(lambda: leader_of(views) is not None)
        leader = leader_of(views)
        pid = int(str(leader).rsplit(":", 1)[1])
        assert pid in {p.pid for p in processes}
        now = datetime.now(UTC)
        declare_breach(ledger, aware_at=now - timedelta(days=4), now=now)
        runner.run_until_idle()
        until(lambda: len(raised_alerts(ledger)) == 4)
        os.kill(pid, signal.SIGKILL)
        until(lambda: leader_of(views) not in (None, leader))
        now = datetime.now(UTC)
        declare_breach(ledger, aware_at=now - timedelta(days=5), now=now)
        runner.run_until_idle()
        until(lambda: len(raised_alerts(ledger)) == 8)
        runner.run_until_idle()
        settled = last_cnil_tick(views)
        until(lambda: last_cnil_tick(views) > settled + timedelta(seconds=1))  # 5 more ticks
        assert len(raised_alerts(ledger)) == 8
        assert len(set(raised_alerts(ledger))) == 8
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=20)


def last_cnil_tick(views: ViewDb) -> datetime:
    (found,) = [t["ticked_at"] for t in heartbeat.ticks(views) if t["job"] == "cnil"]
    assert isinstance(found, datetime)
    return found
