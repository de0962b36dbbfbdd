"""Concurrent commands of one process are committed together; each still gets its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from application.ledger import Ledger
from application.ports import NO_EXTRAS, SaveExtras
from domain.errors import VersionConflict
from store.group_commit import GroupCommit
from tests.builders import ADVISER, NOW, open_request, verify_ledger


@dataclass
class FakeAggregate:
    """Stands for an aggregate: its pending events are plain strings."""

    events: list[str]
    id: UUID = field(default_factory=uuid4)

    def collect_events(self) -> list[str]:
        collected, self.events = self.events, []
        return collected


class GatedStore:
    """A save() that holds its first call until released, and refuses events named 'bad'."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, Any]]] = []
        self.gate = threading.Event()
        self.first_call_started = threading.Event()

    def save(self, *events: str, **kwargs: Any) -> None:
        if not self.calls and not self.first_call_started.is_set():
            self.first_call_started.set()
            self.gate.wait(10)
        if "bad" in events:
            raise ValueError("refused")
        self.calls.append((list(events), kwargs))


def until(condition: Callable[[], bool]) -> None:
    """Waits for other threads to reach a state (not for time to pass)."""
    reached = threading.Event()
    for _ in range(5000):
        if condition():
            return
        reached.wait(0.001)
    raise AssertionError("the threads never reached the expected state")


def run_while_first_save_is_held(
    group: GroupCommit, store: GatedStore, later: list[tuple[FakeAggregate, SaveExtras]]
) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = [None] * (len(later) + 1)

    def submit(i: int, aggregate: FakeAggregate, extras: SaveExtras) -> None:
        try:
            group.save([aggregate], extras)
        except ValueError as error:
            outcomes[i] = error

    threads = [threading.Thread(target=submit, args=(0, FakeAggregate(["first"]), NO_EXTRAS))]
    threads[0].start()
    store.first_call_started.wait(10)
    for i, (aggregate, extras) in enumerate(later, start=1):
        threads.append(threading.Thread(target=submit, args=(i, aggregate, extras)))
        threads[-1].start()
    until(lambda: len(group._queue) == len(later))
    store.gate.set()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_commands_queued_behind_a_save_are_committed_together() -> None:
    store = GatedStore()
    group = GroupCommit(store.save)
    later = [(FakeAggregate([f"e{i}"]), SaveExtras(new_envelopes=(UUID(int=i),))) for i in range(3)]
    outcomes = run_while_first_save_is_held(group, store, later)
    assert outcomes == [None] * 4
    assert [sorted(events) for events, _ in store.calls] == [["first"], ["e0", "e1", "e2"]]
    assert sorted(store.calls[1][1]["extras"].new_envelopes) == [UUID(int=i) for i in range(3)]
    assert (group.batches, group.commands) == (2, 4)


def test_a_refused_command_fails_alone_and_the_others_are_stored() -> None:
    store = GatedStore()
    group = GroupCommit(store.save)
    later = [
        (FakeAggregate(["ok1"]), NO_EXTRAS),
        (FakeAggregate(["bad"]), NO_EXTRAS),
        (FakeAggregate(["ok2"]), NO_EXTRAS),
    ]
    outcomes = run_while_first_save_is_held(group, store, later)
    assert [type(o) for o in outcomes] == [type(None), type(None), ValueError, type(None)]
    assert sorted(e for events, _ in store.calls for e in events) == ["first", "ok1", "ok2"]


def test_two_commands_on_one_aggregate_never_share_a_batch() -> None:
    store = GatedStore()
    group = GroupCommit(store.save)
    shared = FakeAggregate([])
    first, second = FakeAggregate(["a"], id=shared.id), FakeAggregate(["b"], id=shared.id)
    outcomes = run_while_first_save_is_held(group, store, [(first, NO_EXTRAS), (second, NO_EXTRAS)])
    assert outcomes == [None] * 3
    assert [events for events, _ in store.calls] == [["first"], ["a"], ["b"]]


def test_concurrent_commands_on_the_real_store_are_all_recorded_and_chained(
    ledger: Ledger, structure: str
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        opened = list(pool.map(lambda _: open_request(ledger, structure).id, range(40)))
    assert len(set(opened)) == 40
    assert {ledger.requests.get(request_id).version for request_id in opened} == {1}
    result = verify_ledger(ledger)
    assert result.ok
    assert result.events_checked == 41  # the structure and 40 requests
    assert ledger.committer.commands == 40  # type: ignore[attr-defined]


def test_a_version_conflict_inside_a_batch_is_the_commands_own(
    ledger: Ledger, structure: str
) -> None:
    """Commands racing on one request: each either lands or gets version_conflict, none is
    lost silently, and the request's history is a clean sequence."""
    request_id = open_request(ledger, structure).id

    def respond(i: int) -> str:
        at = NOW + timedelta(minutes=i + 1)
        try:
            ledger.requests.respond(request_id, at=at, summary=f"r{i}", actor=ADVISER, now=at)
        except VersionConflict:
            return "conflict"
        return "stored"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(respond, range(8)))
    stored = outcomes.count("stored")
    assert stored >= 1
    assert ledger.requests.get(request_id).version == 1 + stored
    assert verify_ledger(ledger).ok
