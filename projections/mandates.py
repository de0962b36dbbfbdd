"""The ``mandates`` view: the registry of mandates, their scopes, status and uses."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from domain.mandate import Mandate
from projections.base import Projection
from projections.db import Tx, hex_id, iso

mandates = Projection(
    name="mandates",
    version=1,
    tables={
        "mandates": "mandate_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, "
        "envelope_id TEXT NOT NULL, mandatary TEXT NOT NULL, scopes TEXT NOT NULL, "
        "signed_at TEXT NOT NULL, valid_until TEXT NOT NULL, "
        "revoked_at TEXT, expired_at TEXT, destroyed_at TEXT, uses BIGINT NOT NULL",
    },
    indexes={"mandates": ["structure_id, valid_until", "envelope_id"]},
)


@mandates.on(Mandate.Signed)
def _signed(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {mandates} (mandate_id, structure_id, envelope_id, mandatary, scopes, "
        "signed_at, "
        "valid_until, uses) VALUES (:m, :s, :e, :who, :scopes, :signed, :until, 0)",
        {
            "m": hex_id(event.originator_id),
            "s": hex_id(event.structure_id),
            "e": hex_id(event.envelope_id),
            "who": event.mandatary,
            "scopes": json.dumps(event.scopes, sort_keys=True),
            "signed": iso(event.timestamp),
            "until": iso(event.valid_until),
        },
    )


def _set(tx: Tx, event: Any, assignment: str, at: datetime | None = None) -> None:
    tx.run(
        f"UPDATE {{mandates}} SET {assignment} WHERE mandate_id = :m",
        {"m": hex_id(event.originator_id), "at": iso(at)},
    )


@mandates.on(Mandate.Revoked)
def _revoked(tx: Tx, event: Any, _: Notification) -> None:
    _set(tx, event, "revoked_at = :at", event.at)


@mandates.on(Mandate.Expired)
def _expired(tx: Tx, event: Any, _: Notification) -> None:
    _set(tx, event, "expired_at = :at", event.at)


@mandates.on(Mandate.Used)
def _used(tx: Tx, event: Any, _: Notification) -> None:
    _set(tx, event, "uses = uses + 1")


@mandates.on(Mandate.PersonalDataDestroyed)
def _destroyed(tx: Tx, event: Any, _: Notification) -> None:
    _set(tx, event, "destroyed_at = :at", event.at)


STATUS_SQL = (
    "CASE WHEN revoked_at IS NOT NULL THEN 'revoked' "
    "WHEN expired_at IS NOT NULL OR :now >= valid_until THEN 'expired' ELSE 'active' END"
)
_COLUMNS = "mandate_id, structure_id, envelope_id, scopes, valid_until, revoked_at, uses"


def _rows(tx: Tx, where: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows = tx.all(
        f"SELECT {_COLUMNS}, {STATUS_SQL} FROM {{mandates}} WHERE {where} "
        "ORDER BY valid_until, mandate_id",
        params,
    )
    keys = [*_COLUMNS.split(", "), "status"]
    return [dict(zip(keys, row, strict=True)) | {"scopes": json.loads(row[3])} for row in rows]


def active_of_structure(tx: Tx, structure_id: str, now: datetime) -> list[dict[str, Any]]:
    return _rows(
        tx, f"structure_id = :s AND ({STATUS_SQL}) = 'active'", {"s": structure_id, "now": iso(now)}
    )


def of_envelopes(tx: Tx, envelope_ids: list[str], now: datetime) -> list[dict[str, Any]]:
    """The mandates of a data subject, found by their envelopes (see the subject lookup)."""
    if not envelope_ids:
        return []
    names = {f"e{i}": e for i, e in enumerate(envelope_ids)}
    where = f"envelope_id IN ({', '.join(':' + n for n in names)})"
    return _rows(tx, where, {**names, "now": iso(now)})
