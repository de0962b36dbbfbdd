"""What the ledger can show an ANCT flash audit (Art. 4.7), read from the views for one
structure over the twelve months before ``now``: counts only, never a person. The audit records
it as it was the day it opened (``FlashAudit.Opened.evidence``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.vocabulary import Partner
from projections.complaints import yearly as complaints_of
from projections.db import Tx, iso
from projections.satisfaction import indicators
from projections.sla_queries import dashboard

YEAR = timedelta(days=365)


def evidence(tx: Tx, structure_id: str, now: datetime) -> dict[str, Any]:
    """Per criterion of the grid that the ledger can document (the view id of the structure)."""
    start = now - YEAR
    period = {"from": iso(start), "to": iso(now)}
    sla = dashboard(tx, start=start, end=now, now=now, structure_id=structure_id)
    served = dict(
        tx.all(
            "SELECT partner, COUNT(*) FROM {sla} WHERE structure_id = :s "
            "AND received_at >= :a AND received_at < :b GROUP BY partner",
            {"s": structure_id, "a": iso(start), "b": iso(now)},
        )
    )
    national = [p.value for p in Partner]
    return {
        "partners_served": period
        | {
            "requests_by_partner": {p: int(served.get(p, 0)) for p in national},
            "national_partners_served": sum(1 for p in national if served.get(p)),
            "national_partners": len(national),
        },
        "response_72h": period
        | {
            k: sla[k]
            for k in ("total", "answered_on_time", "answered_late", "open_overdue", "on_time_rate")
        },
        "mandates_practice": period | _mandates(tx, structure_id, start, now),
        "destructions_on_time": period | _destructions(tx, structure_id, start, now),
        "breaches_in_time": period | _breaches(tx, start, now),
        "referents_named": _referents(tx, structure_id),
        "satisfaction_measured": {
            k: v
            for k, v in indicators(tx, structure_id, now.year).items()
            if k in ("year", "questionnaires", "satisfaction_rate", "links")
        },
        "complaints_register": period | complaints_of(tx, structure_id, start, now),
    }


def _one(tx: Tx, statement: str, params: dict[str, Any]) -> list[int]:
    row = tx.one(statement, params)
    return [int(v or 0) for v in row] if row else []


def _mandates(tx: Tx, structure_id: str, start: datetime, now: datetime) -> dict[str, int]:
    signed, revoked, uses = _one(
        tx,
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN revoked_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(uses), 0) FROM {mandates} WHERE structure_id = :s "
        "AND signed_at >= :a AND signed_at < :b",
        {"s": structure_id, "a": iso(start), "b": iso(now)},
    )
    (active,) = _one(
        tx,
        "SELECT COUNT(*) FROM {mandates} WHERE structure_id = :s AND revoked_at IS NULL "
        "AND expired_at IS NULL AND destroyed_at IS NULL AND valid_until > :now",
        {"s": structure_id, "now": iso(now)},
    )
    # every action on behalf is recorded under a mandate (the ledger refuses any other)
    return {"signed": signed, "revoked": revoked, "actions_on_behalf": uses, "active": active}


def _destructions(tx: Tx, structure_id: str, start: datetime, now: datetime) -> dict[str, int]:
    destroyed, overdue = _one(
        tx,
        "SELECT COALESCE(SUM(CASE WHEN destroyed_at >= :a THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN destroyed_at IS NULL AND data_due_at < :late THEN 1 ELSE 0 END), "
        "0) FROM {retention} WHERE structure_id = :s",
        {"s": structure_id, "a": iso(start), "late": iso(now - timedelta(days=1))},
    )
    return {"destroyed": destroyed, "overdue_by_more_than_a_day": overdue}


def _breaches(tx: Tx, start: datetime, now: datetime) -> dict[str, Any]:
    """Breaches are the data controller's, not a structure's: the department's are shown."""
    declared, on_time, late, overdue = _one(
        tx,
        "SELECT COUNT(*), "
        "COALESCE(SUM(CASE WHEN notified_at IS NOT NULL AND notified_late = 0 THEN 1 ELSE 0 END),"
        " 0), COALESCE(SUM(CASE WHEN notified_late = 1 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN notified_at IS NULL AND notification_required = 1 "
        "AND cnil_deadline <= :now THEN 1 ELSE 0 END), 0) "
        "FROM {breaches} WHERE aware_at >= :a AND aware_at < :now",
        {"a": iso(start), "now": iso(now)},
    )
    return {
        "scope": "department",
        "declared": declared,
        "notified_on_time": on_time,
        "notified_late": late,
        "overdue": overdue,
    }


def _referents(tx: Tx, structure_id: str) -> dict[str, Any]:
    by_partner = dict(
        tx.all(
            "SELECT partner, COUNT(*) FROM {referents} WHERE structure_id = :s "
            "AND left_at IS NULL GROUP BY partner",
            {"s": structure_id},
        )
    )
    return {
        "active": sum(int(v) for v in by_partner.values()),
        "by_partner": {k: int(v) for k, v in sorted(by_partner.items())},
        "national_partners_without_referent": sorted(
            p.value for p in Partner if p.value not in by_partner
        ),
    }
