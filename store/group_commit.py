"""Concurrent commands of one process committed together, in one transaction.

A command that saves while another save is in flight queues its events; when the save in flight
ends, the first queued command becomes the leader and commits everything queued (up to
``max_batch``) in one ``save()``: one transaction, one table lock, one commit for many commands.
Alone, a command commits at once, as before: no timer, no added latency.

Each command's events were decided on its own loaded state, so a batch is all or nothing only
as an optimisation: if the batch fails (a version conflict, a constraint), each command of it is
committed alone and gets its own outcome. Two commands on the same aggregate never share a
batch: the second waits for the next one.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.ports import SaveExtras


@dataclass(eq=False)
class _Submission:
    events: list[Any]
    aggregate_ids: set[UUID]
    extras: SaveExtras
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, save: Callable[..., object], max_batch: int = 64) -> None:
        self._save = save
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: deque[_Submission] = deque()
        self._busy = False
        self.batches = 0
        self.commands = 0

    def save(self, aggregates: Sequence[Any], extras: SaveExtras) -> None:
        """Returns once this command's events are stored; raises what its own save raised."""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        submission = _Submission(events, {a.id for a in aggregates}, extras)
        with self._lock:
            self._queue.append(submission)
            if not self._busy:
                self._busy = submission.lead = True
        if not submission.lead:
            submission.done.wait()
        if submission.lead:
            self._lead()
        if submission.error is not None:
            raise submission.error

    def _lead(self) -> None:
        with self._lock:
            batch = self._take()
        try:
            self._commit(batch)
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.done.set()
                else:
                    self._busy = False
            for submission in batch:
                submission.lead = False
                submission.done.set()

    def _take(self) -> list[_Submission]:
        """The head of the queue (the leader's own command), then every queued command that
        touches other aggregates, in arrival order."""
        batch = [self._queue.popleft()]
        touched = set(batch[0].aggregate_ids)
        kept: deque[_Submission] = deque()
        while self._queue and len(batch) < self._max_batch:
            candidate = self._queue.popleft()
            if not candidate.aggregate_ids & touched:
                batch.append(candidate)
                touched |= candidate.aggregate_ids
            else:
                kept.append(candidate)
        kept.extend(self._queue)
        self._queue = kept
        return batch

    def _commit(self, batch: list[_Submission]) -> None:
        self.batches += 1
        self.commands += len(batch)
        if len(batch) == 1:
            self._alone(batch[0])
            return
        merged = sum((submission.extras for submission in batch), SaveExtras())
        try:
            self._save(*(event for s in batch for event in s.events), extras=merged)
        except Exception:  # noqa: BLE001 - each command then meets its own outcome, alone
            for submission in batch:
                self._alone(submission)

    def _alone(self, submission: _Submission) -> None:
        try:
            self._save(*submission.events, extras=submission.extras)
        except Exception as error:  # noqa: BLE001 - raised again in the command's own thread
            submission.error = error
