"""The ``integrity`` view: the hash chain recomputed as events arrive.

A link that does not match stops this view (a poison event), so health shows the first bad
position as soon as the runner reaches it; ``ledger verify`` does the same walk on demand. It
reads only stored bytes (no decoding) and the batch's links in one query.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.base import Item, Projection
from projections.db import Tx
from store.chain import GENESIS, link

integrity = Projection(
    name="integrity",
    version=1,
    tables={
        "integrity": "singleton INTEGER PRIMARY KEY, position BIGINT NOT NULL, hash TEXT NOT NULL"
    },
    decodes=False,
)


class ChainMismatch(RuntimeError):
    pass


def _check(tx: Tx, items: Sequence[Item]) -> None:
    row = tx.one("SELECT hash FROM {integrity} WHERE singleton = 1")
    previous = bytes.fromhex(row[0]) if row else GENESIS
    first, last = items[0][1].id, items[-1][1].id
    stored = {
        int(p): bytes(h)
        for p, h in tx.all(
            "SELECT position, hash FROM event_chain WHERE position >= :a AND position <= :b",
            {"a": first, "b": last},
        )
    }
    for _, notification in items:
        computed = link(previous, notification.id, notification)
        if stored.get(notification.id) != computed:
            raise ChainMismatch(f"chain link differs at position {notification.id}")
        previous = computed
    tx.run("DELETE FROM {integrity}")
    tx.run("INSERT INTO {integrity} VALUES (1, :p, :h)", {"p": last, "h": previous.hex()})


integrity.batch = _check
