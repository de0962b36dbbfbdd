"""The ``referents`` view: which partner referents serve which structure (Art. 5.2.1), without
their details (those are sealed: the list reads them from the ledger, for the structure's staff
only)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from domain.referent import Referent
from projections.base import Projection
from projections.db import Tx, hex_id, iso

referents = Projection(
    name="referents",
    version=1,
    tables={
        "referents": "referent_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, "
        "partner TEXT NOT NULL, named_at TEXT NOT NULL, left_at TEXT",
    },
    indexes={"referents": ["structure_id, partner"]},
)


@referents.on(Referent.Named)
def _named(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {referents} VALUES (:r, :s, :p, :at, NULL)",
        {
            "r": hex_id(event.originator_id),
            "s": hex_id(event.structure_id),
            "p": event.partner,
            "at": iso(event.timestamp),
        },
    )


@referents.on(Referent.Left)
def _left(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {referents} SET left_at = :at WHERE referent_id = :r",
        {"r": hex_id(event.originator_id), "at": iso(event.at)},
    )


def serving(tx: Tx, structure_id: str, partner: str | None = None) -> list[str]:
    """The ids of the structure's active referents, by partner then appointment."""
    where = " AND partner = :p" if partner else ""
    rows = tx.all(
        f"SELECT referent_id FROM {{referents}} WHERE structure_id = :s AND left_at IS NULL"
        f"{where} ORDER BY partner, named_at, referent_id",
        {"s": structure_id, "p": partner},
    )
    return [str(row[0]) for row in rows]
