"""The scheduler's heartbeat: for each job, when it last ticked, in which process, and what it
did. ``ledger scheduler status`` and ``/v1/health`` read it. It lives in the view database; it is
not a view (nothing rebuilds it from events)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from projections.db import ViewDb, from_iso, iso
from scheduler.jobs import Report

DDL = (
    "CREATE TABLE IF NOT EXISTS scheduler_ticks (job TEXT PRIMARY KEY, ticked_at TEXT NOT NULL, "
    "leader TEXT NOT NULL, report TEXT NOT NULL)"
)


def migrate(db: ViewDb) -> None:
    with db.transaction() as tx:
        tx.run(DDL)


def record(db: ViewDb, report: Report, now: datetime, leader: str) -> None:
    params = {"j": report.job, "at": iso(now), "l": leader, "r": json.dumps(report.done)}
    with db.transaction() as tx:
        tx.run("DELETE FROM scheduler_ticks WHERE job = :j", params)
        tx.run("INSERT INTO scheduler_ticks VALUES (:j, :at, :l, :r)", params)


def ticks(db: ViewDb) -> list[dict[str, Any]]:
    rows = db.query("SELECT job, ticked_at, leader, report FROM scheduler_ticks ORDER BY job")
    return [
        {"job": job, "ticked_at": from_iso(at), "leader": leader, "done": json.loads(done)}
        for job, at, leader, done in rows
    ]


def integrity(db: ViewDb) -> dict[str, Any] | None:
    """The last hourly integrity check (``scheduler.integrity``), or None before the first."""
    rows = db.query("SELECT ticked_at, report FROM scheduler_ticks WHERE job = 'integrity'")
    if not rows:
        return None
    at, done = rows[0][0], json.loads(rows[0][1])
    return {
        "checked_at": from_iso(at),
        "ok": not done.get("broken"),
        "verified_through": done.get("verified_through", 0),
        "first_bad_position": done.get("first_bad_position"),
    }


def last_tick(db: ViewDb) -> datetime | None:
    rows = db.query("SELECT MAX(ticked_at) FROM scheduler_ticks")
    return from_iso(rows[0][0]) if rows else None
