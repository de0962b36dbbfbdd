"""The ``complaints`` view: the structure's complaints register without any personal data
(channel, topic, received, answer deadline, answered and whether late, destroyed), for the
register's page, the scheduler's reminders and the yearly indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from domain.complaint import DUE_SOON, Complaint
from projections.base import Projection
from projections.db import Tx, hex_id, iso

complaints = Projection(
    name="complaints",
    version=1,
    tables={
        "complaints": "complaint_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, "
        "channel TEXT NOT NULL, topic TEXT NOT NULL, received_at TEXT NOT NULL, "
        "answer_due_at TEXT NOT NULL, due_soon_at TEXT NOT NULL, answered_at TEXT, "
        "answered_late INTEGER, destroyed_at TEXT",
    },
    indexes={"complaints": ["structure_id, received_at", "answered_at, answer_due_at"]},
)
COLUMNS = (
    "complaint_id",
    "structure_id",
    "channel",
    "topic",
    "received_at",
    "answer_due_at",
    "answered_at",
    "answered_late",
    "destroyed_at",
)
STATE_SQL = (
    "CASE WHEN answered_at IS NOT NULL THEN "
    "CASE WHEN answered_late = 1 THEN 'answered_late' ELSE 'answered' END "
    "WHEN :now >= answer_due_at THEN 'overdue' WHEN :now >= due_soon_at THEN 'due_soon' "
    "ELSE 'open' END"
)


@complaints.on(Complaint.Received)
def _received(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {complaints} (complaint_id, structure_id, channel, topic, received_at, "
        "answer_due_at, due_soon_at) VALUES (:c, :s, :channel, :topic, :received, :due, :soon)",
        {
            "c": hex_id(event.originator_id),
            "s": hex_id(event.structure_id),
            "channel": event.channel,
            "topic": event.topic,
            "received": iso(event.received_at),
            "due": iso(event.answer_due_at),
            "soon": iso(event.answer_due_at - DUE_SOON),
        },
    )


@complaints.on(Complaint.Answered)
def _answered(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {complaints} SET answered_at = :at, answered_late = :late WHERE complaint_id = :c",
        {"c": hex_id(event.originator_id), "at": iso(event.at), "late": int(event.late)},
    )


@complaints.on(Complaint.PersonalDataDestroyed)
def _destroyed(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {complaints} SET destroyed_at = :at WHERE complaint_id = :c",
        {"c": hex_id(event.originator_id), "at": iso(event.at)},
    )


def register(
    tx: Tx, structure_id: str, now: datetime, state: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The structure's complaints, unanswered first by deadline, then the latest answered,
    each with its state at ``now``."""
    where = " WHERE state = :state" if state else ""
    rows = tx.all(
        f"SELECT * FROM (SELECT {', '.join(COLUMNS)}, {STATE_SQL} AS state "
        f"FROM {{complaints}} WHERE structure_id = :s) AS c{where} "
        "ORDER BY CASE WHEN answered_at IS NULL THEN 0 ELSE 1 END, "
        "CASE WHEN answered_at IS NULL THEN answer_due_at END, received_at DESC, complaint_id "
        "LIMIT :limit",
        {"s": structure_id, "now": iso(now), "state": state, "limit": limit},
    )
    return [
        dict(zip((*COLUMNS, "state"), row, strict=True))
        | {"answered_late": None if row[7] is None else bool(row[7])}
        for row in rows
    ]


def falling_due(tx: Tx, horizon: datetime) -> list[tuple[str, str, str, str]]:
    """Unanswered complaints due by ``horizon`` with no critical alert yet: (complaint,
    structure, deadline, due-soon instant), for the scheduler."""
    return [
        (str(c), str(s), str(due), str(soon))
        for c, s, due, soon in tx.all(
            "SELECT c.complaint_id, c.structure_id, c.answer_due_at, c.due_soon_at "
            "FROM {complaints} c WHERE c.answered_at IS NULL AND c.destroyed_at IS NULL "
            "AND c.due_soon_at <= :horizon AND NOT EXISTS (SELECT 1 FROM {alerts} a "
            "WHERE a.subject_id = c.complaint_id AND a.kind = 'complaint' "
            "AND a.level = 'critical')",
            {"horizon": iso(horizon)},
        )
    ]


def yearly(tx: Tx, structure_id: str | None, start: datetime, end: datetime) -> dict[str, Any]:
    """Complaints received in ``[start, end)``: counted by topic and channel, answered on time,
    late, and unanswered (for the yearly report; counts only)."""
    where = "received_at >= :a AND received_at < :b" + (
        " AND structure_id = :s" if structure_id else ""
    )
    params = {"a": iso(start), "b": iso(end), "s": structure_id}
    by_topic = dict(
        tx.all(f"SELECT topic, COUNT(*) FROM {{complaints}} WHERE {where} GROUP BY topic", params)
    )
    by_channel = dict(
        tx.all(
            f"SELECT channel, COUNT(*) FROM {{complaints}} WHERE {where} GROUP BY channel", params
        )
    )
    row = tx.one(
        "SELECT COUNT(*), "
        "COALESCE(SUM(CASE WHEN answered_late = 0 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN answered_late = 1 THEN 1 ELSE 0 END), 0) "
        f"FROM {{complaints}} WHERE {where}",
        params,
    )
    received, on_time, late = (int(v) for v in row) if row else (0, 0, 0)
    return {
        "received": received,
        "answered_on_time": on_time,
        "answered_late": late,
        "unanswered": received - on_time - late,
        "by_topic": {k: int(v) for k, v in sorted(by_topic.items())},
        "by_channel": {k: int(v) for k, v in sorted(by_channel.items())},
    }
