"""The ``structures`` view: each structure's code and name, so that every answer a person reads
names a structure by its code (``montauban``), never by its internal id."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from domain.structure import Structure
from projections.base import Projection
from projections.db import Tx, hex_id

structures = Projection(
    name="structures",
    version=1,
    tables={
        "structures": "structure_id TEXT PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL",
    },
)


@structures.on(Structure.Registered)
def _registered(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {structures} (structure_id, code, name) VALUES (:s, :c, :n)",
        {"s": hex_id(event.originator_id), "c": event.code, "n": event.name},
    )


def code_of(column: str) -> str:
    """SQL naming the structure of ``column`` (an id) by its code (the id if it is unknown)."""
    return (
        f"COALESCE((SELECT st.code FROM {{structures}} st WHERE st.structure_id = {column}), "
        f"{column})"
    )
