"""Crash safety: ``kill -9`` of the API under load, of a projection runner inside a batch and
of the scheduler inside a tick. After a restart every acknowledged command's events are stored,
none twice, the chain holds, views equal a clean rebuild and every alert is raised once."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from uuid import UUID

import httpx

from application.ledger import Ledger
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_ledger
from tests.builders import ADVISER, NOW, open_request, process_env, verify_ledger, view_rows
from tests.live import LiveServer, request_body, wait_for
from tests.projections.bulk import bulk_requests

CLIENTS = 8


def topics_by_aggregate(ledger: Ledger) -> Counter[tuple[UUID, str]]:
    """How many times each aggregate has each event type in the log."""
    head = ledger.recorder.max_notification_id() or 0
    found: Counter[tuple[UUID, str]] = Counter()
    for n in ledger.recorder.select_notifications(1, head + 1):
        found[(n.originator_id, n.topic.rsplit(".", 1)[-1])] += 1
    return found


def rebuilt_equals_resumed(runner: ProjectionRunner) -> None:
    runner.run_until_idle()
    resumed = view_rows(runner)
    for name in runner.projections:
        runner.rebuild(name)
    assert view_rows(runner) == resumed
    assert {s.position for s in runner.status()} == {runner.head()}


def test_an_api_killed_under_load_keeps_every_acknowledged_command_once(
    live: LiveServer, settings: Settings, runner: ProjectionRunner
) -> None:
    acknowledged: list[str] = []
    in_flight: list[str] = []
    refused: list[str] = []
    stop = threading.Event()

    def send() -> None:
        with live.client("adviser") as client:
            while not stop.is_set():
                try:
                    answer = client.post("/v1/requests", json=request_body())
                except httpx.TransportError as error:
                    in_flight.append(type(error).__name__)
                    return
                if answer.status_code == 201:
                    acknowledged.append(answer.json()["id"])
                else:
                    refused.append(answer.text)

    clients = [threading.Thread(target=send) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    wait_for("60 acknowledged commands", lambda: len(acknowledged) >= 60 or bool(refused))
    live.kill()
    stop.set()
    for client in clients:
        client.join()
    assert refused == []
    assert in_flight, "no command was in flight when the server died"

    ledger = open_ledger(settings)
    try:
        counts = topics_by_aggregate(ledger)
        for request_id in acknowledged:
            assert counts[(UUID(request_id), "Opened")] == 1
            assert ledger.requests.get(UUID(request_id)).user is not None
        assert max(counts.values()) == 1, "an event stored twice"
        assert verify_ledger(ledger).ok
    finally:
        ledger.close()

    live.start()  # the same store serves again
    with live.client("adviser") as client:
        assert client.post("/v1/requests", json=request_body()).status_code == 201
    live.stop()
    rebuilt_equals_resumed(runner)


def _paused(settings: Settings, marker: Path, *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.paused", argv[0], str(marker), *argv[1:]],
        env=process_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_when_paused(child: subprocess.Popen[bytes], marker: Path) -> str:
    try:
        wait_for("the pause", lambda: marker.exists() and child.poll() is None, seconds=120)
        return marker.read_text()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_a_runner_killed_inside_a_batch_resumes_to_views_equal_to_a_clean_rebuild(
    ledger: Ledger, settings: Settings, structure: str, runner: ProjectionRunner, tmp_path: Path
) -> None:
    bulk_requests(ledger, structure, 300, start=NOW, actor=ADVISER)
    runner.run_until_idle(["audit_trail"])  # one view ahead, the others behind: both kinds resume
    head = runner.head()
    marker = tmp_path / "paused"
    child = _paused(settings, marker, "runner", "sla", "3")
    view, moving_to = _kill_when_paused(child, marker).split()
    # the batch's rows and its position were written in the transaction the kill cut short
    status = {s.view: s.position for s in runner.status()}
    assert view == "sla"
    assert 0 < status["sla"] < int(moving_to) <= head
    rebuilt_equals_resumed(runner)


def test_a_scheduler_killed_inside_a_tick_raises_each_alert_once_after_restart(
    ledger: Ledger, settings: Settings, structure: str, runner: ProjectionRunner, tmp_path: Path
) -> None:
    late = [open_request(ledger, structure) for _ in range(6)]  # overdue since 26 November
    runner.run_until_idle()
    marker = tmp_path / "paused"
    child = _paused(settings, marker, "scheduler", "2")
    assert _kill_when_paused(child, marker) == "2"
    raised_before = Counter(k for k, n in topics_by_aggregate(ledger).items() if k[1] == "Raised")
    assert sum(raised_before.values()) == 2

    restart = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "scheduler", "run", "--once"],
        env=process_env(settings),
        capture_output=True,
        check=False,
    )
    assert restart.returncode == 0, restart.stderr
    counts = topics_by_aggregate(ledger)
    raised = {aggregate for (aggregate, topic), n in counts.items() if topic == "Raised"}
    assert all(counts[(alert, "Raised")] == 1 for alert in raised)
    alerts = [ledger.alerts.get(alert) for alert in raised]
    assert {a.subject_id for a in alerts if a.level == "critical"} == {r.id for r in late}
    assert {aggregate for aggregate, _ in raised_before} <= raised
