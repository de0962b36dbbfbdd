"""Queries on the ``sla`` view: a request's state, the dashboard, the worklist.

States that depend on the clock are computed here, at query time, from the stored instants.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.sla_state import on_time_rate
from projections.db import Tx, iso

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
        return on_time_rate(self.answered_on_time, self.answered_late, self.open_overdue)


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
