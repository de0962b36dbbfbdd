"""The hash chain over the notification log, and its verification.

``h(n) = SHA-256(h(n-1) || position || aggregate id || version || topic || stored bytes)``, each
part length-prefixed, ``h(0)`` = 32 zero bytes. The store writes the links in the same
transaction as the events; ``verify`` recomputes them from the events and names the first
position where the recomputed chain and the stored one part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent

GENESIS = bytes(32)
PAGE = 500


def _id_bytes(originator_id: UUID | str) -> bytes:
    return (originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)).encode()


def link(previous: bytes, position: int, event: StoredEvent) -> bytes:
    digest = hashlib.sha256(previous)
    parts = (
        str(position).encode(),
        _id_bytes(event.originator_id),
        str(event.originator_version).encode(),
        event.topic.encode(),
        bytes(event.state),
    )
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def links(
    previous: bytes, positions: Sequence[int], events: Sequence[StoredEvent]
) -> list[tuple[int, bytes]]:
    rows = []
    for position, event in zip(positions, events, strict=True):
        previous = link(previous, position, event)
        rows.append((position, previous))
    return rows


@dataclass(frozen=True)
class Verification:
    ok: bool
    verified_through: int | None
    first_bad_position: int | None
    events_checked: int
    head_hash: bytes | None = None  # the recomputed link at ``verified_through``
    remembered_hash: bytes | None = None  # the recomputed link at the position asked for


def verify(
    notifications: Callable[[int | None, int], Sequence[Notification]],
    chain_rows: Callable[[int | None, int], Sequence[tuple[int, bytes]]],
    remember: int | None = None,
) -> Verification:
    """Walks events and stored links in step; a missing, extra or different link is bad. The
    recomputed link at ``remember`` (an anchored position) is kept to compare with its anchor."""
    previous, checked, last_good, remembered = GENESIS, 0, None, None
    for event, stored in _pairs(notifications, chain_rows):
        stored_position = stored[0] if stored is not None else None
        if event is None or stored is None or stored_position != event.id:
            positions = [p for p in (event.id if event else None, stored_position) if p is not None]
            return Verification(False, last_good, min(positions), checked)
        previous = link(previous, event.id, event)
        if previous != bytes(stored[1]):
            return Verification(False, last_good, event.id, checked)
        last_good, checked = event.id, checked + 1
        if event.id == remember:
            remembered = previous
    head = previous if last_good is not None else None
    return Verification(True, last_good, None, checked, head, remembered)


T = TypeVar("T")


def _pages(read: Callable[[int | None, int], Sequence[T]], key: Callable[[T], int]) -> Iterator[T]:
    after: int | None = None
    while page := read(after, PAGE):
        yield from page
        after = key(page[-1])


def _pairs(
    notifications: Callable[[int | None, int], Sequence[Notification]],
    chain_rows: Callable[[int | None, int], Sequence[tuple[int, bytes]]],
) -> Iterator[tuple[Notification | None, tuple[int, bytes] | None]]:
    events = _pages(notifications, lambda n: n.id)
    rows = _pages(chain_rows, lambda r: r[0])
    while True:
        event, row = next(events, None), next(rows, None)
        if event is None and row is None:
            return
        yield event, row


class ChainedRecorder(Protocol):
    """What ``ledger verify`` reads: the log's events and the stored links, page by page."""

    def select_after(self, after: int | None, limit: int) -> Sequence[Notification]: ...

    def select_chain(self, after: int | None, limit: int) -> list[tuple[int, bytes]]: ...

    def chain_head(self) -> tuple[int, bytes] | None: ...


def verify_store(recorder: ChainedRecorder, remember: int | None = None) -> Verification:
    """``ledger verify``: recomputes the chain from the stored events."""
    return verify(recorder.select_after, recorder.select_chain, remember)
