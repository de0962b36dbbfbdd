"""The ``integrity`` view: the hash chain recomputed as events arrive.

A link that does not match stops this view (a poison event), so health shows the first bad
position as soon as the runner reaches it; ``ledger verify`` does the same walk on demand.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from domain.chain import GENESIS, link
from projections.base import Projection
from projections.db import Tx

integrity = Projection(
    name="integrity",
    version=1,
    tables={
        "integrity": "singleton INTEGER PRIMARY KEY, position BIGINT NOT NULL, hash TEXT NOT NULL"
    },
)


class ChainMismatch(RuntimeError):
    pass


def _check(tx: Tx, _: Any, notification: Notification) -> None:
    row = tx.one("SELECT hash FROM {integrity} WHERE singleton = 1")
    previous = bytes.fromhex(row[0]) if row else GENESIS
    stored = tx.one("SELECT hash FROM event_chain WHERE position = :p", {"p": notification.id})
    computed = link(previous, notification.id, notification)
    if stored is None or bytes(stored[0]) != computed:
        raise ChainMismatch(f"chain link differs at position {notification.id}")
    tx.run("DELETE FROM {integrity}")
    tx.run(
        "INSERT INTO {integrity} VALUES (1, :p, :h)", {"p": notification.id, "h": computed.hex()}
    )


integrity.every_event = _check
