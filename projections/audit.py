"""The ``audit_trail`` view: one row per event (and, with the API, per recorded read of personal
data): who, when, what, on which case or envelope, and the chain hash. No personal data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from projections.base import Projection
from projections.db import Tx, hex_id, iso

COLUMNS = (
    "position",
    "at",
    "actor",
    "role",
    "action",
    "structure_id",
    "request_id",
    "mandate_id",
    "breach_id",
    "envelope_id",
    "purpose",
    "legal_basis",
    "chain_hash",
)
INSERT = (
    f"INSERT INTO {{audit_trail}} ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(':' + column for column in COLUMNS)})"
)
KINDS = {"Request": "request_id", "Mandate": "mandate_id", "Breach": "breach_id"}

audit = Projection(
    name="audit_trail",
    version=1,
    tables={
        "audit_trail": "position BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, "
        "role TEXT NOT NULL, action TEXT NOT NULL, structure_id TEXT, request_id TEXT, "
        "mandate_id TEXT, breach_id TEXT, envelope_id TEXT, purpose TEXT, legal_basis TEXT, "
        "chain_hash TEXT NOT NULL",
        "audit_owners": "aggregate_id TEXT PRIMARY KEY, structure_id TEXT, envelope_id TEXT",
    },
    indexes={"audit_trail": ["request_id", "mandate_id", "envelope_id", "actor, at", "at"]},
)


def _owner(tx: Tx, event: Any) -> tuple[str | None, str | None]:
    aggregate = hex_id(event.originator_id)
    structure = getattr(event, "structure_id", None)
    envelope = getattr(event, "envelope_id", None)
    if event.originator_version == 1:
        tx.run(
            "INSERT INTO {audit_owners} VALUES (:a, :s, :e)",
            {"a": aggregate, "s": hex_id(structure), "e": hex_id(envelope)},
        )
        return hex_id(structure), hex_id(envelope)
    row = tx.one(
        "SELECT structure_id, envelope_id FROM {audit_owners} WHERE aggregate_id = :a",
        {"a": aggregate},
    )
    return (row[0], row[1]) if row else (None, None)


def record(tx: Tx, event: Any, notification: Notification) -> None:
    """Every event of every aggregate becomes one row."""
    kind, _, name = type(event).__qualname__.partition(".")
    structure, envelope = _owner(tx, event)
    if kind == "Structure":
        structure = hex_id(event.originator_id)
    chain = tx.one("SELECT hash FROM event_chain WHERE position = :p", {"p": notification.id})
    assert chain is not None, "every stored event has its chain link"
    row = dict.fromkeys(COLUMNS)
    row |= {
        "position": notification.id,
        "at": iso(event.timestamp),
        "actor": event.actor.name,
        "role": event.actor.role,
        "action": f"{kind}.{name}",
        "structure_id": structure,
        "envelope_id": envelope,
        "purpose": getattr(event, "purpose", None),
        "legal_basis": getattr(event, "legal_basis", None),
        "chain_hash": bytes(chain[0]).hex(),
    }
    if kind in KINDS:
        row[KINDS[kind]] = hex_id(event.originator_id)
    if kind == "Request" and name == "ActedOnBehalf":
        row["mandate_id"] = hex_id(event.mandate_id)
    if kind == "Mandate" and name == "Used":
        row["request_id"] = hex_id(event.request_id)
    tx.run(INSERT, row)


audit.every_event = record


def entries(
    tx: Tx,
    *,
    request_id: str | None = None,
    mandate_id: str | None = None,
    envelope_id: str | None = None,
    actor: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Streams matching entries in position order, one page at a time (never all in memory)."""
    filters = {
        "request_id": request_id,
        "mandate_id": mandate_id,
        "envelope_id": envelope_id,
        "actor": actor,
    }
    clauses = [f"{column} = :{column}" for column, value in filters.items() if value] + [
        "position > :after"
    ]
    params: dict[str, Any] = {
        **filters,
        "start": iso(start),
        "end": iso(end),
        "after": 0,
        "page": page,
    }
    if start:
        clauses.append("at >= :start")
    if end:
        clauses.append("at < :end")
    statement = (
        f"SELECT {', '.join(COLUMNS)} FROM {{audit_trail}} WHERE {' AND '.join(clauses)} "
        "ORDER BY position LIMIT :page"
    )
    while rows := tx.all(statement, params):
        yield from (dict(zip(COLUMNS, row, strict=True)) for row in rows)
        params["after"] = rows[-1][0]
