"""The ``breaches`` view: the register of every breach, with its CNIL clock and phases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from eventsourcing.persistence import Notification

from domain.breach import DUE_SOON, Breach
from domain.policy import RiskLevel
from projections.base import Projection
from projections.db import Tx, from_iso, hex_id, iso

breaches = Projection(
    name="breaches",
    version=1,
    tables={
        "breaches": "breach_id TEXT PRIMARY KEY, aware_at TEXT NOT NULL, "
        "detected_at TEXT NOT NULL, "
        "cnil_deadline TEXT NOT NULL, due_soon_at TEXT NOT NULL, nature TEXT NOT NULL, "
        "approx_subjects BIGINT NOT NULL, approx_records BIGINT NOT NULL, threshold TEXT NOT NULL, "
        "risk_level TEXT, notification_required INTEGER NOT NULL, notified_at TEXT, "
        "notified_late INTEGER, subjects_informed_at TEXT, subjects_exemption TEXT, closed_at TEXT",
        "breach_phases": "position BIGINT PRIMARY KEY, breach_id TEXT NOT NULL, "
        "phase TEXT NOT NULL, "
        "at TEXT NOT NULL, reference TEXT NOT NULL, late INTEGER NOT NULL",
    },
    indexes={"breaches": ["cnil_deadline"], "breach_phases": ["breach_id"]},
)


def _set(tx: Tx, event: Any, assignments: str, **params: Any) -> None:
    tx.run(
        f"UPDATE {{breaches}} SET {assignments} WHERE breach_id = :b",
        {"b": hex_id(event.originator_id), **params},
    )


@breaches.on(Breach.Declared)
def _declared(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {breaches} (breach_id, aware_at, detected_at, cnil_deadline, due_soon_at, "
        "nature, "
        "approx_subjects, approx_records, threshold, notification_required) "
        "VALUES (:b, :aware, :detected, :deadline, :soon, :nature, :subjects, :records, "
        ":threshold, 1)",
        {
            "b": hex_id(event.originator_id),
            "aware": iso(event.aware_at),
            "detected": iso(event.detected_at),
            "deadline": iso(event.cnil_deadline),
            "soon": iso(event.cnil_deadline - DUE_SOON),
            "nature": ",".join(event.nature),
            "subjects": event.approx_subjects,
            "records": event.approx_records,
            "threshold": event.notification_threshold,
        },
    )


@breaches.on(Breach.RiskAssessed)
def _assessed(tx: Tx, event: Any, _: Notification) -> None:
    row = tx.one(
        "SELECT threshold FROM {breaches} WHERE breach_id = :b", {"b": hex_id(event.originator_id)}
    )
    assert row is not None
    required = RiskLevel(event.level).rank >= RiskLevel(row[0]).rank
    _set(
        tx,
        event,
        "risk_level = :level, notification_required = :required",
        level=event.level,
        required=int(required),
    )


@breaches.on(Breach.CnilNotified)
def _notified(tx: Tx, event: Any, notification: Notification) -> None:
    tx.run(
        "INSERT INTO {breach_phases} VALUES (:p, :b, :phase, :at, :reference, :late)",
        {
            "p": notification.id,
            "b": hex_id(event.originator_id),
            "phase": event.phase,
            "at": iso(event.at),
            "reference": event.reference,
            "late": int(event.late),
        },
    )
    if event.phase == "initial":
        _set(
            tx,
            event,
            "notified_at = :at, notified_late = :late",
            at=iso(event.at),
            late=int(event.late),
        )


@breaches.on(Breach.SubjectsInformed)
def _informed(tx: Tx, event: Any, _: Notification) -> None:
    _set(tx, event, "subjects_informed_at = :at", at=iso(event.at))


@breaches.on(Breach.SubjectsExempted)
def _exempted(tx: Tx, event: Any, _: Notification) -> None:
    _set(tx, event, "subjects_exemption = :ground", ground=event.ground)


@breaches.on(Breach.Closed)
def _closed(tx: Tx, event: Any, _: Notification) -> None:
    _set(tx, event, "closed_at = :at", at=iso(event.at))


STATE_SQL = (
    "CASE WHEN notified_at IS NOT NULL THEN "
    "CASE WHEN notified_late = 1 THEN 'notified_late' ELSE 'notified' END "
    "WHEN notification_required = 0 THEN 'not_required' "
    "WHEN :now >= cnil_deadline THEN 'overdue' WHEN :now > due_soon_at THEN 'due_soon' "
    "ELSE 'on_time' END"
)


def register(tx: Tx, now: datetime, state: str | None = None) -> list[dict[str, Any]]:
    """Every breach, oldest awareness first, with its state and remaining seconds at ``now``."""
    where = " WHERE state = :state" if state else ""
    rows = tx.all(
        f"SELECT * FROM (SELECT breach_id, aware_at, cnil_deadline, {STATE_SQL} AS state, "
        f"risk_level, closed_at FROM {{breaches}}) AS b{where} ORDER BY aware_at, breach_id",
        {"now": iso(now), "state": state},
    )
    result = []
    for breach_id, aware_at, deadline, current, risk, closed in rows:
        remaining = (from_iso(deadline) or now) - now
        result.append(
            {
                "id": breach_id,
                "aware_at": aware_at,
                "cnil_deadline": deadline,
                "state": current,
                "remaining_seconds": int(remaining / timedelta(seconds=1)),
                "risk_level": risk,
                "closed_at": closed,
            }
        )
    return result
