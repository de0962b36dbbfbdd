"""The ``flash_audits`` view: each structure's ANCT flash audits (opened, closed, conform)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from domain.audit_flash import FlashAudit
from projections.base import Projection
from projections.db import Tx, hex_id, in_clause, iso

flash_audits = Projection(
    name="flash_audits",
    version=1,
    tables={
        "flash_audits": "audit_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, "
        "grid TEXT NOT NULL, opened_at TEXT NOT NULL, closed_at TEXT, conform INTEGER",
    },
    indexes={"flash_audits": ["structure_id, opened_at"]},
)
COLUMNS = ("audit_id", "structure_id", "grid", "opened_at", "closed_at", "conform")


@flash_audits.on(FlashAudit.Opened)
def _opened(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {flash_audits} VALUES (:a, :s, :g, :at, NULL, NULL)",
        {
            "a": hex_id(event.originator_id),
            "s": hex_id(event.structure_id),
            "g": event.grid,
            "at": iso(event.timestamp),
        },
    )


@flash_audits.on(FlashAudit.Closed)
def _closed(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {flash_audits} SET closed_at = :at, conform = :c WHERE audit_id = :a",
        {"a": hex_id(event.originator_id), "at": iso(event.at), "c": int(event.conform)},
    )


def listing(tx: Tx, structure_ids: list[str] | None) -> list[dict[str, Any]]:
    """Audits, latest first; ``None``: every structure's."""
    where = ""
    params: dict[str, Any] = {}
    if structure_ids is not None:
        clause, params = in_clause("s", structure_ids or [""])
        where = f" WHERE structure_id IN {clause}"
    rows = tx.all(
        f"SELECT {', '.join(COLUMNS)} FROM {{flash_audits}}{where} "
        "ORDER BY opened_at DESC, audit_id",
        params,
    )
    return [
        dict(zip(COLUMNS, row, strict=True)) | {"conform": None if row[5] is None else bool(row[5])}
        for row in rows
    ]
