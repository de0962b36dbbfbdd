"""The yearly report (Art. 4.7 and 6): the quality indicators a department publishes and the
steering committee reads, per structure and per department, for one civil year in each
department's time zone. Counts only, read from the views; never a person.

The figures and their sources:

- activity: requests received, visits (at the counter), distinct users, requests by partner and
  by channel, mandates signed and revoked (``quarterly``, the year's four quarters);
- 72 h rule: requests of the year answered on time, late, still unanswered past their deadline
  at the time of asking, and the on-time rate (``quarterly`` and ``sla``);
- satisfaction: questionnaires and satisfaction rate (``satisfaction``);
- complaints: received, answered on time, late, unanswered (``complaints``);
- flash audits: opened in the year, closed, found conform (``flash_audits``);
- destructions: envelopes of users' data destroyed in the year, how many later than a day past
  their due date, and how many were overdue by more than a day at the year's end or at the time of
  asking, whichever is earlier (``retention``);
- breaches: the data controller's, not a structure's (``breaches``), in Europe/Paris's year.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.sla_state import on_time_rate
from domain.vocabulary import Channel, Partner
from domain.working_time import time_zone_of
from projections.complaints import yearly as complaints_of
from projections.db import Tx, iso
from projections.satisfaction import indicators

VERSION = 1
GRACE = timedelta(days=1)  # the scheduler's margin before a destruction counts as late
PARTNERS = tuple(p.value for p in Partner)
CHANNELS = tuple(c.value for c in Channel)
COUNTS = (
    "requests",
    "visits",
    "distinct_users",
    "answered_on_time",
    "answered_late",
    "open_overdue",
    "mandates_signed",
    "mandates_revoked",
    "questionnaires",
    "satisfied",
    "complaints_received",
    "complaints_answered_on_time",
    "complaints_answered_late",
    "complaints_unanswered",
    "audits_opened",
    "audits_closed",
    "audits_conform",
    "destructions",
    "destructions_late",
    "destructions_overdue",
)
RATES = ("on_time_rate", "satisfaction_rate")
BREACHES = ("declared", "notification_required", "notified_on_time", "notified_late", "overdue")


def year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of a civil year in a time zone, as UTC instants."""
    return (
        datetime(year, 1, 1, tzinfo=tz).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC),
    )


def yearly_report(
    tx: Tx, year: int, now: datetime, structure_ids: list[str] | None = None
) -> dict[str, Any]:
    """The year's report for every structure (``None``) or the given ones (view ids), grouped
    by department; ``now`` is the time of asking (overdue counts are as of then)."""
    rows = tx.all(
        "SELECT s.structure_id, s.code, s.name, d.department FROM {structures} s "
        "JOIN {sla_structures} d ON d.structure_id = s.structure_id ORDER BY d.department, s.code"
    )
    wanted = None if structure_ids is None else set(structure_ids)
    departments: dict[str, list[dict[str, Any]]] = {}
    for structure_id, code, name, department in rows:
        if wanted is None or structure_id in wanted:
            figures = _structure(tx, structure_id, year, now, time_zone_of(department))
            departments.setdefault(department, []).append(
                {"structure_id": code, "name": name} | figures
            )
    return {
        "report": "yearly",
        "version": VERSION,
        "year": year,
        "as_of": iso(now),
        "departments": [
            {"department": d, "totals": _totals(s), "structures": s}
            for d, s in sorted(departments.items())
        ],
        "breaches": _breaches(tx, year, now) if structure_ids is None else None,
    }


def _structure(tx: Tx, structure_id: str, year: int, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    start, end = year_bounds(year, tz)
    asked = min(end, now)
    params = {"s": structure_id, "q": f"{year}-Q%", "a": iso(start), "b": iso(end)}
    row = tx.one(
        "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(visits), 0), "
        "COALESCE(SUM(distinct_users), 0), COALESCE(SUM(answered_on_time), 0), "
        "COALESCE(SUM(answered_late), 0), COALESCE(SUM(mandates_signed), 0), "
        "COALESCE(SUM(mandates_revoked), 0) FROM {quarterly} "
        "WHERE structure_id = :s AND quarter LIKE :q",
        params,
    )
    requests, visits, users, on_time, late, signed, revoked = (int(v) for v in row or (0,) * 7)
    by = {
        dimension: dict(
            tx.all(
                f"SELECT {dimension}, SUM(requests) FROM {{quarterly_requests}} "
                f"WHERE structure_id = :s AND quarter LIKE :q GROUP BY {dimension}",
                params,
            )
        )
        for dimension in ("partner", "channel")
    }
    (overdue,) = _ints(
        tx,
        "SELECT COUNT(*) FROM {sla} WHERE structure_id = :s AND received_at >= :a "
        "AND received_at < :b AND due_at IS NOT NULL AND first_response_at IS NULL "
        "AND due_at <= :now",
        params | {"now": iso(now)},
    )
    satisfaction = indicators(tx, structure_id, year)
    complaints = complaints_of(tx, structure_id, start, end)
    audits = _ints(
        tx,
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN conform = 1 THEN 1 ELSE 0 END), 0) FROM {flash_audits} "
        "WHERE structure_id = :s AND opened_at >= :a AND opened_at < :b",
        params,
    )
    destructions = _destructions(tx, params, asked)
    return {
        "requests": requests,
        "visits": visits,
        "distinct_users": users,
        "requests_by_partner": {p: int(by["partner"].get(p, 0)) for p in PARTNERS},
        "requests_by_channel": {c: int(by["channel"].get(c, 0)) for c in CHANNELS},
        "answered_on_time": on_time,
        "answered_late": late,
        "open_overdue": overdue,
        "on_time_rate": on_time_rate(on_time, late, overdue),
        "mandates_signed": signed,
        "mandates_revoked": revoked,
        "questionnaires": satisfaction["questionnaires"],
        "satisfied": _satisfied(satisfaction),
        "satisfaction_rate": satisfaction["satisfaction_rate"],
        "complaints_received": complaints["received"],
        "complaints_answered_on_time": complaints["answered_on_time"],
        "complaints_answered_late": complaints["answered_late"],
        "complaints_unanswered": complaints["unanswered"],
        "audits_opened": audits[0],
        "audits_closed": audits[1],
        "audits_conform": audits[2],
        "destructions": destructions[0],
        "destructions_late": destructions[1],
        "destructions_overdue": destructions[2],
    }


def _satisfied(satisfaction: dict[str, Any]) -> int:
    rate, rated = satisfaction["satisfaction_rate"], satisfaction["questionnaires"]
    return 0 if rate is None else round(rate * rated)


def _destructions(tx: Tx, params: dict[str, Any], asked: datetime) -> list[int]:
    """Users' envelopes (cases, mandates, complaints) destroyed in the year up to ``asked``, how
    many more than a day after their due date, and how many were overdue by more than a day at
    ``asked``."""
    destroyed = tx.all(
        "SELECT data_due_at, destroyed_at FROM {retention} WHERE structure_id = :s "
        "AND destroyed_at >= :a AND destroyed_at < :asked",
        params | {"asked": iso(asked)},
    )
    late = sum(1 for due, done in destroyed if iso(datetime.fromisoformat(due) + GRACE) < done)
    (overdue,) = _ints(
        tx,
        "SELECT COUNT(*) FROM {retention} WHERE structure_id = :s AND data_due_at < :late "
        "AND (destroyed_at IS NULL OR destroyed_at >= :asked)",
        params | {"asked": iso(asked), "late": iso(asked - GRACE)},
    )
    return [len(destroyed), late, overdue]


def _breaches(tx: Tx, year: int, now: datetime) -> dict[str, Any]:
    start, end = year_bounds(year, ZoneInfo("Europe/Paris"))
    values = _ints(
        tx,
        "SELECT COUNT(*), COALESCE(SUM(notification_required), 0), "
        "COALESCE(SUM(CASE WHEN notified_at IS NOT NULL AND notified_late = 0 THEN 1 ELSE 0 END),"
        " 0), COALESCE(SUM(CASE WHEN notified_late = 1 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN notified_at IS NULL AND notification_required = 1 "
        "AND cnil_deadline <= :now THEN 1 ELSE 0 END), 0) "
        "FROM {breaches} WHERE aware_at >= :a AND aware_at < :b",
        {"a": iso(start), "b": iso(end), "now": iso(now)},
    )
    return {"scope": "data_controller"} | dict(zip(BREACHES, values, strict=True))


def _ints(tx: Tx, statement: str, params: dict[str, Any]) -> list[int]:
    row = tx.one(statement, params)
    return [int(v or 0) for v in row] if row else []


def _totals(structures: list[dict[str, Any]]) -> dict[str, Any]:
    """A department's figures: every count summed, the rates recomputed from the sums."""
    totals: dict[str, Any] = {"structures": len(structures)}
    totals |= {k: sum(s[k] for s in structures) for k in COUNTS}
    for key in ("requests_by_partner", "requests_by_channel"):
        totals[key] = {k: sum(s[key][k] for s in structures) for k in structures[0][key]}
    totals["on_time_rate"] = on_time_rate(
        totals["answered_on_time"], totals["answered_late"], totals["open_overdue"]
    )
    rated = totals["questionnaires"]
    totals["satisfaction_rate"] = round(totals["satisfied"] / rated, 4) if rated else None
    return totals


def csv_lines(report: dict[str, Any]) -> Iterator[list[Any]]:
    """Open data: a header, one line per structure, one per department (``scope``), and one for
    the data controller's breaches."""
    columns = [
        *COUNTS,
        *RATES,
        *(f"requests_{p}" for p in PARTNERS),
        *(f"requests_{c}" for c in CHANNELS),
    ]
    yield ["year", "scope", "department", "structure_id", "name", *columns, *BREACHES]

    def line(scope: str, department: str, code: str, name: str, f: dict[str, Any]) -> list[Any]:
        flat = {k: f[k] for k in (*COUNTS, *RATES)}
        flat |= {f"requests_{p}": n for p, n in f["requests_by_partner"].items()}
        flat |= {f"requests_{c}": n for c, n in f["requests_by_channel"].items()}
        cells = ["" if flat[c] is None else flat[c] for c in columns]
        return [report["year"], scope, department, code, name, *cells, *([""] * len(BREACHES))]

    for department in report["departments"]:
        d = department["department"]
        for s in department["structures"]:
            yield line("structure", d, s["structure_id"], s["name"], s)
        yield line("department", d, "", "", department["totals"])
    if report["breaches"] is not None:
        empty = [""] * (len(columns) + 3)
        yield [
            report["year"],
            "data_controller",
            *empty,
            *(report["breaches"][k] for k in BREACHES),
        ]
