"""The ``sla`` view: one row per request against its 72 working hours deadline.

States that depend on the clock (``due_soon``, ``overdue``) are decided at query time from stored
instants, so rows never go stale: ``due_soon_at`` is the latest instant with 24 working hours
left (``BusinessCalendar.rewind``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from domain.calendar import BusinessCalendar
from domain.sla import DUE_SOON
from projections.base import Projection
from projections.db import Tx, from_iso, hex_id, iso

sla = Projection(
    name="sla",
    version=1,
    tables={
        "sla_structures": "structure_id TEXT PRIMARY KEY, department TEXT NOT NULL, "
        "whit_monday_worked INTEGER NOT NULL",
        "sla": "request_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, partner TEXT NOT NULL, "
        "channel TEXT NOT NULL, mission TEXT NOT NULL, theme TEXT NOT NULL, "
        "received_at TEXT NOT NULL, due_at TEXT, due_soon_at TEXT, first_response_at TEXT, "
        "hours_to_first_response DOUBLE PRECISION, resolved_at TEXT, status TEXT NOT NULL",
    },
    indexes={"sla": ["structure_id, received_at", "received_at", "partner", "channel"]},
)


def _calendar(tx: Tx, structure_id: str) -> BusinessCalendar:
    row = tx.one(
        "SELECT department, whit_monday_worked FROM {sla_structures} WHERE structure_id = :s",
        {"s": structure_id},
    )
    assert row is not None, "a request's structure is registered before it"
    return BusinessCalendar(str(row[0]), bool(row[1]))


@sla.on("Structure.Registered")
def _registered(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {sla_structures} VALUES (:s, :d, :w)",
        {
            "s": hex_id(event.originator_id),
            "d": event.department,
            "w": int(event.whit_monday_worked),
        },
    )


@sla.on("Request.Opened")
def _opened(tx: Tx, event: Any, _: Notification) -> None:
    structure = hex_id(event.structure_id)
    assert structure is not None
    due_soon = None
    if event.due_at is not None:
        due_soon = _calendar(tx, structure).rewind(event.due_at, DUE_SOON.total_seconds() / 3600)
    tx.run(
        "INSERT INTO {sla} (request_id, structure_id, partner, channel, mission, theme, "
        "received_at, due_at, due_soon_at, status) "
        "VALUES (:r, :s, :p, :c, :m, :t, :received, :due, :soon, 'open')",
        {
            "r": hex_id(event.originator_id),
            "s": structure,
            "p": event.partner,
            "c": event.channel,
            "m": event.mission,
            "t": event.theme,
            "received": iso(event.received_at),
            "due": iso(event.due_at),
            "soon": iso(due_soon),
        },
    )


@sla.on("Request.Responded")
def _responded(tx: Tx, event: Any, _: Notification) -> None:
    request = hex_id(event.originator_id)
    row = tx.one(
        "SELECT structure_id, received_at, first_response_at FROM {sla} WHERE request_id = :r",
        {"r": request},
    )
    assert row is not None
    if row[2] is not None:
        return
    received = from_iso(row[1])
    assert received is not None
    hours = _calendar(tx, row[0]).working_time_between(received, event.at).total_seconds() / 3600
    tx.run(
        "UPDATE {sla} SET first_response_at = :at, hours_to_first_response = :h, "
        "status = 'answered' WHERE request_id = :r",
        {"at": iso(event.at), "h": hours, "r": request},
    )


@sla.on("Request.Resolved")
def _resolved(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {sla} SET resolved_at = :at, status = 'resolved' WHERE request_id = :r",
        {"at": iso(event.at), "r": hex_id(event.originator_id)},
    )


@sla.on("Request.Reopened")
def _reopened(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {sla} SET resolved_at = NULL, status = CASE WHEN first_response_at IS NULL "
        "THEN 'open' ELSE 'answered' END WHERE request_id = :r",
        {"r": hex_id(event.originator_id)},
    )


STATE_SQL = (
    "CASE WHEN due_at IS NULL THEN NULL "
    "WHEN first_response_at IS NOT NULL THEN "
    "CASE WHEN first_response_at <= due_at THEN 'met' ELSE 'missed' END "
    "WHEN :now >= due_at THEN 'overdue' WHEN :now > due_soon_at THEN 'due_soon' ELSE 'on_time' END"
)


def state_of(tx: Tx, request_id: str, now: datetime) -> str | None:
    row = tx.one(
        f"SELECT {STATE_SQL} FROM {{sla}} WHERE request_id = :r", {"r": request_id, "now": iso(now)}
    )
    return None if row is None else row[0]


@dataclass(frozen=True)
class Counts:
    total: int
    answered_on_time: int
    answered_late: int
    open_on_time: int
    open_overdue: int

    @property
    def on_time_rate(self) -> float | None:
        """Answered on time among the requests whose fate is known (answered, or overdue)."""
        decided = self.answered_on_time + self.answered_late + self.open_overdue
        return None if decided == 0 else round(self.answered_on_time / decided, 4)


_COUNTS = (
    "COUNT(*), "
    "SUM(CASE WHEN first_response_at IS NOT NULL AND first_response_at <= due_at "
    "THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN first_response_at > due_at THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN first_response_at IS NULL AND :now < due_at THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN first_response_at IS NULL AND :now >= due_at THEN 1 ELSE 0 END)"
)


def _where(structure_id: str | None, partner: str | None, channel: str | None) -> str:
    clauses = ["due_at IS NOT NULL", "received_at >= :start", "received_at < :end"]
    clauses += [
        f"{column} = :{column}"
        for column, value in (
            ("structure_id", structure_id),
            ("partner", partner),
            ("channel", channel),
        )
        if value
    ]
    return " AND ".join(clauses)


def dashboard(
    tx: Tx,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    structure_id: str | None = None,
    partner: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """Totals, on-time rate and median working hours to first response, by partner and channel."""
    params = {
        "start": iso(start),
        "end": iso(end),
        "now": iso(now),
        "structure_id": structure_id,
        "partner": partner,
        "channel": channel,
    }
    where = _where(structure_id, partner, channel)
    totals = Counts(
        *(int(v or 0) for v in tx.one(f"SELECT {_COUNTS} FROM {{sla}} WHERE {where}", params) or ())
    )
    hours = [
        r[0]
        for r in tx.all(
            f"SELECT hours_to_first_response FROM {{sla}} WHERE {where} "
            "AND hours_to_first_response IS NOT NULL",
            params,
        )
    ]

    def breakdown(column: str) -> list[dict[str, Any]]:
        rows = tx.all(
            f"SELECT {column}, {_COUNTS} FROM {{sla}} WHERE {where} GROUP BY {column} "
            f"ORDER BY {column}",
            params,
        )
        return [{column: r[0], **_as_dict(Counts(*(int(v or 0) for v in r[1:])))} for r in rows]

    return {
        **_as_dict(totals),
        "median_working_hours_to_first_response": round(statistics.median(hours), 2)
        if hours
        else None,
        "by_partner": breakdown("partner"),
        "by_channel": breakdown("channel"),
    }


def _as_dict(counts: Counts) -> dict[str, Any]:
    return {
        "total": counts.total,
        "answered_on_time": counts.answered_on_time,
        "answered_late": counts.answered_late,
        "open_on_time": counts.open_on_time,
        "open_overdue": counts.open_overdue,
        "on_time_rate": counts.on_time_rate,
    }
