"""The ``alerts`` view: every alert raised, open or acknowledged."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from domain.alert import Alert
from projections.base import Projection
from projections.db import Tx, hex_id, iso

alerts = Projection(
    name="alerts",
    version=1,
    tables={
        "alerts": "alert_id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject_id TEXT NOT NULL, "
        "raised_at TEXT NOT NULL, due_at TEXT NOT NULL, level TEXT NOT NULL, status TEXT NOT NULL, "
        "acknowledged_at TEXT, acknowledged_by TEXT",
    },
    indexes={"alerts": ["status, kind", "subject_id"]},
)
COLUMNS = ("alert_id", "kind", "subject_id", "raised_at", "due_at", "level", "status")


@alerts.on(Alert.Raised)
def _raised(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {alerts} (alert_id, kind, subject_id, raised_at, due_at, level, status) "
        "VALUES (:a, :k, :s, :raised, :due, :level, 'open')",
        {
            "a": hex_id(event.originator_id),
            "k": event.kind,
            "s": hex_id(event.subject_id),
            "raised": iso(event.timestamp),
            "due": iso(event.due_at),
            "level": event.level,
        },
    )


@alerts.on(Alert.Acknowledged)
def _acknowledged(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {alerts} SET status = 'acknowledged', acknowledged_at = :at, acknowledged_by = :by "
        "WHERE alert_id = :a",
        {"at": iso(event.timestamp), "by": event.actor.name, "a": hex_id(event.originator_id)},
    )


def listing(tx: Tx, kind: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    clauses = [f"{c} = :{c}" for c, v in (("kind", kind), ("status", status)) if v] or ["1 = 1"]
    rows = tx.all(
        f"SELECT {', '.join(COLUMNS)} FROM {{alerts}} WHERE {' AND '.join(clauses)} "
        "ORDER BY due_at, alert_id",
        {"kind": kind, "status": status},
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]
