"""The ``sla`` view: one row per request against its 72 working hours deadline.

States that depend on the clock (``due_soon``, ``overdue``) are decided at query time from stored
instants, so rows never go stale: ``due_soon_at`` is the latest instant with 24 working hours
left (``BusinessCalendar.rewind``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.calendar import BusinessCalendar
from domain.request import Request
from domain.sla import DUE_SOON
from domain.structure import Structure
from projections.base import Item, Projection
from projections.db import Tx, from_iso, hex_id, in_clause, iso

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
    # The first index covers every column the dashboard reads: it is answered from the index.
    indexes={
        "sla": [
            "structure_id, received_at, due_at, first_response_at, partner, channel, "
            "hours_to_first_response",
            "received_at",
        ]
    },
)


ROW = (
    "request_id",
    "structure_id",
    "partner",
    "channel",
    "mission",
    "theme",
    "received_at",
    "due_at",
    "due_soon_at",
    "first_response_at",
    "hours_to_first_response",
    "resolved_at",
    "status",
)
_INSERT = f"INSERT INTO {{sla}} ({', '.join(ROW)}) VALUES ({', '.join(':' + c for c in ROW)})"
_UPDATE = (
    "UPDATE {sla} SET first_response_at = :first_response_at, "
    "hours_to_first_response = :hours_to_first_response, resolved_at = :resolved_at, "
    "status = :status WHERE request_id = :request_id"
)


class _Batch:
    """One batch: the rows it touches in memory, written at the end (insert new, update others)."""

    def __init__(self, tx: Tx, items: Sequence[Item]) -> None:
        self.tx = tx
        self.calendars: dict[str, BusinessCalendar] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.new: list[str] = []
        self.structures: list[dict[str, Any]] = []
        touched = sorted(
            {hex_id(e.originator_id) or "" for e, _ in items if type(e).__qualname__ in _UPDATES}
        )
        if touched:
            clause, params = in_clause("r", touched)
            for row in tx.all(
                f"SELECT {', '.join(ROW)} FROM {{sla}} WHERE request_id IN {clause}", params
            ):
                self.rows[row[0]] = dict(zip(ROW, row, strict=True))

    def calendar(self, structure_id: str) -> BusinessCalendar:
        if structure_id not in self.calendars:
            row = self.tx.one(
                "SELECT department, whit_monday_worked FROM {sla_structures} "
                "WHERE structure_id = :s",
                {"s": structure_id},
            )
            assert row is not None, "a request's structure is registered before it"
            self.calendars[structure_id] = BusinessCalendar(str(row[0]), bool(row[1]))
        return self.calendars[structure_id]

    def flush(self) -> None:
        self.tx.many("INSERT INTO {sla_structures} VALUES (:s, :d, :w)", self.structures)
        fresh = set(self.new)
        self.tx.many(_INSERT, [self.rows[r] for r in self.new])
        self.tx.many(_UPDATE, [row for r, row in sorted(self.rows.items()) if r not in fresh])


def _registered(batch: _Batch, event: Any) -> None:
    structure = hex_id(event.originator_id) or ""
    batch.structures.append(
        {"s": structure, "d": event.department, "w": int(event.whit_monday_worked)}
    )
    batch.calendars[structure] = BusinessCalendar(event.department, event.whit_monday_worked)


def _opened(batch: _Batch, event: Any) -> None:
    structure, request = hex_id(event.structure_id) or "", hex_id(event.originator_id) or ""
    due_soon = None
    if event.due_at is not None:
        due_soon = batch.calendar(structure).rewind(event.due_at, DUE_SOON.total_seconds() / 3600)
    batch.rows[request] = {
        "request_id": request,
        "structure_id": structure,
        "partner": event.partner,
        "channel": event.channel,
        "mission": event.mission,
        "theme": event.theme,
        "received_at": iso(event.received_at),
        "due_at": iso(event.due_at),
        "due_soon_at": iso(due_soon),
        "first_response_at": None,
        "hours_to_first_response": None,
        "resolved_at": None,
        "status": "open",
    }
    batch.new.append(request)


def _responded(batch: _Batch, event: Any) -> None:
    row = batch.rows[hex_id(event.originator_id) or ""]
    if row["first_response_at"] is not None:
        return
    received = from_iso(row["received_at"])
    assert received is not None
    working = batch.calendar(row["structure_id"]).working_time_between(received, event.at)
    row |= {
        "first_response_at": iso(event.at),
        "hours_to_first_response": working.total_seconds() / 3600,
    }
    if row["status"] == "open":
        row["status"] = "answered"


def _resolved(batch: _Batch, event: Any) -> None:
    batch.rows[hex_id(event.originator_id) or ""] |= {
        "resolved_at": iso(event.at),
        "status": "resolved",
    }


def _reopened(batch: _Batch, event: Any) -> None:
    row = batch.rows[hex_id(event.originator_id) or ""]
    row |= {
        "resolved_at": None,
        "status": "open" if row["first_response_at"] is None else "answered",
    }


_UPDATES = {"Request.Responded", "Request.Resolved", "Request.Reopened"}


sla.batched(
    _Batch,
    {
        Structure.Registered: _registered,
        Request.Opened: _opened,
        Request.Responded: _responded,
        Request.Resolved: _resolved,
        Request.Reopened: _reopened,
    },
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
    """Totals, on-time rate and median working hours to first response, by partner and channel.

    One scan grouped by partner and channel gives the totals and both breakdowns; the median is
    computed by PostgreSQL itself, or from the answered rows on SQLite (local, no transfer).
    """
    params = {
        "start": iso(start),
        "end": iso(end),
        "now": iso(now),
        "structure_id": structure_id,
        "partner": partner,
        "channel": channel,
    }
    where = _where(structure_id, partner, channel)
    cells = tx.all(
        f"SELECT partner, channel, {_COUNTS} FROM {{sla}} WHERE {where} GROUP BY partner, channel",
        params,
    )
    by_partner: dict[str, list[int]] = {}
    by_channel: dict[str, list[int]] = {}
    totals = [0] * 5
    for cell_partner, cell_channel, *counts in cells:
        values = [int(v or 0) for v in counts]
        for bucket in (
            by_partner.setdefault(cell_partner, [0] * 5),
            by_channel.setdefault(cell_channel, [0] * 5),
            totals,
        ):
            bucket[:] = [a + b for a, b in zip(bucket, values, strict=True)]
    return {
        **_as_dict(Counts(*totals)),
        "median_working_hours_to_first_response": _median_hours(tx, where, params),
        "by_partner": [
            {"partner": k, **_as_dict(Counts(*v))} for k, v in sorted(by_partner.items())
        ],
        "by_channel": [
            {"channel": k, **_as_dict(Counts(*v))} for k, v in sorted(by_channel.items())
        ],
    }


def _median_hours(tx: Tx, where: str, params: dict[str, Any]) -> float | None:
    answered = f"{where} AND hours_to_first_response IS NOT NULL"
    if tx.backend == "postgres":
        row = tx.one(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours_to_first_response) "
            f"FROM {{sla}} WHERE {answered}",
            params,
        )
        value = row[0] if row else None
    else:
        hours = [
            r[0]
            for r in tx.all(f"SELECT hours_to_first_response FROM {{sla}} WHERE {answered}", params)
        ]
        value = statistics.median(hours) if hours else None
    return None if value is None else round(float(value), 2)


def _as_dict(counts: Counts) -> dict[str, Any]:
    return {
        "total": counts.total,
        "answered_on_time": counts.answered_on_time,
        "answered_late": counts.answered_late,
        "open_on_time": counts.open_on_time,
        "open_overdue": counts.open_overdue,
        "on_time_rate": counts.on_time_rate,
    }


WORKLIST = (
    "request_id",
    "partner",
    "channel",
    "mission",
    "theme",
    "received_at",
    "due_at",
    "first_response_at",
    "resolved_at",
    "status",
    "sla_state",
)


def worklist(
    tx: Tx,
    structure_id: str,
    now: datetime,
    *,
    status: str | None = None,
    sla_state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A structure's requests, the most urgent first (earliest deadline, then oldest), with their
    SLA state at ``now``; no personal data."""
    clauses = ["structure_id = :s"] + (["status = :status"] if status else [])
    outer = "WHERE sla_state = :sla_state" if sla_state else ""
    rows = tx.all(
        f"SELECT * FROM (SELECT {', '.join(WORKLIST[:-1])}, {STATE_SQL} AS sla_state, "
        f"COALESCE(due_at, received_at) AS urgency FROM {{sla}} WHERE {' AND '.join(clauses)}) "
        f"AS w {outer} ORDER BY urgency, request_id LIMIT :limit OFFSET :offset",
        {
            "s": structure_id,
            "now": iso(now),
            "status": status,
            "sla_state": sla_state,
            "limit": limit,
            "offset": offset,
        },
    )
    return [dict(zip(WORKLIST, row[:-1], strict=True)) for row in rows]
