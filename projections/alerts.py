"""The ``alerts`` view: every alert raised, open or acknowledged."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from domain.alert import Alert
from projections.base import Projection
from projections.db import Tx, hex_id, in_clause, iso

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


def listing(
    tx: Tx,
    kind: str | None = None,
    status: str | None = None,
    structure_ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Alerts by due date; with ``structure_ids``, only those about a case or mandate of these
    structures (owners as the audit trail records them)."""
    clauses = [f"{c} = :{c}" for c, v in (("kind", kind), ("status", status)) if v] or ["1 = 1"]
    params: dict[str, Any] = {"kind": kind, "status": status}
    if structure_ids is not None:
        clause, owners = in_clause("s", structure_ids or [""])
        clauses.append(
            "subject_id IN (SELECT aggregate_id FROM {audit_owners} "
            f"WHERE structure_id IN {clause})"
        )
        params |= owners
    rows = tx.all(
        f"SELECT {', '.join(COLUMNS)} FROM {{alerts}} WHERE {' AND '.join(clauses)} "
        "ORDER BY due_at, alert_id",
        params,
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]
