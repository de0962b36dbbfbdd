"""The ``audit_trail`` view: one row per event, reads of personal data included
(``DataAccess.PersonalDataRead``): who, when, what, on which case or envelope, for which purpose
and legal basis, and the chain hash. No personal data."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from projections.base import Item, Projection
from projections.db import Tx, in_clause, iso
from projections.stored import instant_text, uuid_hex
from projections.structures import code_of

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
    "endpoint",
    "chain_hash",
)
# Positional (rows are tuples in ``COLUMNS`` order): cheaper to build and to bind than dicts.
INSERT = {
    backend: f"INSERT INTO {{audit_trail}} ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(mark for _ in COLUMNS)})"
    for backend, mark in (("sqlite", "?"), ("postgres", "%s"))
}

audit = Projection(
    name="audit_trail",
    version=3,  # 3: each filter's index ends with the position the trail is read in
    tables={
        "audit_trail": "position BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, "
        "role TEXT NOT NULL, action TEXT NOT NULL, structure_id TEXT, request_id TEXT, "
        "mandate_id TEXT, breach_id TEXT, envelope_id TEXT, purpose TEXT, legal_basis TEXT, "
        "endpoint TEXT, chain_hash TEXT NOT NULL",
        "audit_owners": "aggregate_id TEXT PRIMARY KEY, structure_id TEXT, envelope_id TEXT",
    },
    indexes={
        "audit_trail": [
            "request_id, position",
            "mandate_id, position",
            "envelope_id, position",
            "structure_id, position",
            "actor, at",
            "at",
        ]
    },
)


def _row(
    notification: Notification,
    aggregate: str,
    state: dict[str, Any],
    owner: tuple[str | None, str | None],
    chain_hash: str,
) -> tuple[Any, ...]:
    """One row, in ``COLUMNS`` order."""
    kind, _, name = notification.topic.rpartition(":")[2].partition(".")
    structure, envelope = owner
    actor = state["actor"]["_data_"]
    request = mandate = None
    if kind == "Request":
        request = aggregate
        if name == "ActedOnBehalf":
            mandate = uuid_hex(state["mandate_id"])
    elif kind == "Mandate":
        mandate = aggregate
        if name == "Used":
            request = uuid_hex(state["request_id"])
    elif kind == "DataAccess":
        request, mandate = uuid_hex(state.get("request_id")), uuid_hex(state.get("mandate_id"))
    return (
        notification.id,
        instant_text(state["timestamp"]),
        actor["name"],
        actor["role"],
        f"{kind}.{name}",
        aggregate if kind == "Structure" else structure,
        request,
        mandate,
        aggregate if kind == "Breach" else None,
        envelope,
        state.get("purpose"),
        state.get("legal_basis"),
        state.get("endpoint"),
        chain_hash,
    )


def _owners(tx: Tx, items: Sequence[Item]) -> dict[str, tuple[str | None, str | None]]:
    """Structure and envelope of each aggregate of the batch: created here, or looked up once."""
    owners: dict[str, tuple[str | None, str | None]] = {}
    created = []
    for state, _ in items:
        if state["originator_version"] == 1:
            aggregate = state["originator_id"]
            owners[aggregate] = (
                uuid_hex(state.get("structure_id")),
                uuid_hex(state.get("envelope_id")),
            )
            created.append({"a": aggregate, "s": owners[aggregate][0], "e": owners[aggregate][1]})
    tx.many("INSERT INTO {audit_owners} VALUES (:a, :s, :e)", created)
    missing = sorted({state["originator_id"] for state, _ in items} - owners.keys())
    if missing:
        clause, params = in_clause("a", missing)
        for aggregate, structure, envelope in tx.all(
            f"SELECT aggregate_id, structure_id, envelope_id FROM {{audit_owners}} "
            f"WHERE aggregate_id IN {clause}",
            params,
        ):
            owners[aggregate] = (structure, envelope)
    return owners


def record_batch(tx: Tx, items: Sequence[Item]) -> None:
    """Every event of every aggregate becomes one row, with the hash of its chain link. The
    rows are built from the stored values themselves (``parses``): the instants and ids are
    already the strings the rows hold, and no field the view reads is sealed
    (``tests/projections/test_audit_rows.py`` checks every stored event type gives the row its
    decoded event gives)."""
    first, last = items[0][1].id, items[-1][1].id
    chain = {
        int(p): bytes(h).hex()
        for p, h in tx.all(
            "SELECT position, hash FROM event_chain WHERE position >= :a AND position <= :b",
            {"a": first, "b": last},
        )
    }
    owners = _owners(tx, items)
    rows = []
    for state, notification in items:
        assert notification.id in chain, "every stored event has its chain link"
        aggregate = state["originator_id"]
        owner = owners.get(aggregate, (None, None))
        rows.append(_row(notification, aggregate, state, owner, chain[notification.id]))
    tx.many(INSERT[tx.backend], rows)


audit.batch = record_batch
audit.decodes, audit.parses = False, True


def entries(
    tx: Tx,
    *,
    request_id: str | None = None,
    mandate_id: str | None = None,
    envelope_id: str | None = None,
    actor: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    structure_id: str | None = None,
    action: str | None = None,
    legal_basis: str | None = None,
    page: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Streams matching entries in position order, one page at a time (never all in memory).
    ``structure_id`` is the structure's view id (its UUID's hex)."""
    filters = {
        "request_id": request_id,
        "mandate_id": mandate_id,
        "envelope_id": envelope_id,
        "actor": actor,
        "structure_id": structure_id,
        "action": action,
        "legal_basis": legal_basis,
    }
    clauses = [f"a.{column} = :{column}" for column, value in filters.items() if value] + [
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
    shown = [code_of("a.structure_id") if c == "structure_id" else c for c in COLUMNS]
    statement = (
        f"SELECT {', '.join(shown)} FROM {{audit_trail}} a WHERE {' AND '.join(clauses)} "
        "ORDER BY position LIMIT :page"
    )
    while rows := tx.all(statement, params):
        yield from (dict(zip(COLUMNS, row, strict=True)) for row in rows)
        params["after"] = rows[-1][0]


def csv_lines(tx: Tx, **filters: Any) -> Iterator[list[Any]]:
    """The filtered trail as CSV lines, header first, streamed page by page."""
    yield list(COLUMNS)
    for entry in entries(tx, **filters):
        yield [entry[column] for column in COLUMNS]
