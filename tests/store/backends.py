"""Raw access to the store behind the Ledger's back, as an operator or attacker would have."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from application.ledger import Ledger
from runtime.settings import Settings
from store.chain import GENESIS, link

PG_EVENTS = "ledger_events"


def _pg(settings: Settings) -> tuple[str, str]:
    base, _, query = settings.database_url.partition("?schema=")
    return base, query


def sqlite_files(settings: Settings) -> list[Path]:
    path = settings.sqlite_path
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def store_contains(settings: Settings, needle: bytes) -> list[str]:
    """Where the bytes appear: SQLite files (database, WAL, ...) or PostgreSQL rows of any table."""
    if settings.backend == "sqlite":
        return [p.name for p in sqlite_files(settings) if needle in p.read_bytes()]
    base, schema = _pg(settings)
    found = []
    with psycopg.connect(base, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(
                SQL("SELECT * FROM {}.{}").format(Identifier(schema), Identifier(table))
            )
            if any(needle in _as_bytes(value) for row in rows for value in row):
                found.append(table)
        found += _pg_pages_containing(conn, schema, needle)
    return found


def _pg_pages_containing(conn: psycopg.Connection[Any], schema: str, needle: bytes) -> list[str]:
    """Raw pages of every relation of the schema (heap, TOAST, indexes), dead tuples included."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    conn.execute("CHECKPOINT")
    relations = conn.execute(
        "SELECT c.oid::regclass::text, "
        "pg_relation_size(c.oid) / current_setting('block_size')::int "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN (%s, 'pg_toast') AND c.relkind IN ('r', 't', 'i') "
        "AND (n.nspname = %s OR c.oid IN (SELECT c2.reltoastrelid FROM pg_class c2 "
        "JOIN pg_namespace n2 ON n2.oid = c2.relnamespace WHERE n2.nspname = %s))",
        (schema, schema, schema),
    ).fetchall()
    found = []
    for relation, blocks in relations:
        for block in range(blocks):
            (page,) = conn.execute("SELECT get_raw_page(%s, %s)", (relation, block)).fetchone()  # type: ignore[misc]
            if needle in bytes(page):
                found.append(f"{relation} page {block}")
    return found


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def superuser_rewrite(
    settings: Settings, position: int, change: Callable[[bytes], bytes] | None
) -> None:
    """Rewrites (or, with ``change=None``, deletes) one stored event, bypassing the triggers."""
    if settings.backend == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute("DROP TRIGGER stored_events_no_update")
            conn.execute("DROP TRIGGER stored_events_no_delete")
            (state,) = conn.execute(
                "SELECT state FROM stored_events WHERE rowid = ?", (position,)
            ).fetchone()
            if change is None:
                conn.execute("DELETE FROM stored_events WHERE rowid = ?", (position,))
            else:
                conn.execute(
                    "UPDATE stored_events SET state = ? WHERE rowid = ?", (change(state), position)
                )
        return
    base, schema = _pg(settings)
    table = SQL("{}.{}").format(Identifier(schema), Identifier(PG_EVENTS))
    with psycopg.connect(base) as conn:
        conn.execute("SET session_replication_role = replica")
        (state,) = conn.execute(
            SQL("SELECT state FROM {} WHERE notification_id = %s").format(table), (position,)
        ).fetchone()
        if change is None:
            conn.execute(
                SQL("DELETE FROM {} WHERE notification_id = %s").format(table), (position,)
            )
        else:
            conn.execute(
                SQL("UPDATE {} SET state = %s WHERE notification_id = %s").format(table),
                (change(state), position),
            )


def app_execute(ledger: Ledger, statement: str) -> None:
    """Runs a statement on the application's own connection pool."""
    recorder: Any = ledger.recorder
    table = recorder.events_table_name
    if hasattr(recorder.datastore, "schema"):
        table = f'"{recorder.datastore.schema}".{table}'
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(statement.format(events=table))


def add_other_envelope_keys(settings: Settings, count: int) -> None:
    """Live keys of other envelopes, so the destroyed key shares its pages with live ones."""
    if settings.backend == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.executemany(
                "INSERT INTO envelope_keys VALUES (?, ?, randomblob(32), NULL)",
                [(uuid.uuid4().hex, uuid.uuid4().hex) for _ in range(count)],
            )
        return
    base, schema = _pg(settings)
    with psycopg.connect(base) as conn:
        conn.execute(
            SQL(
                "INSERT INTO {}.envelope_keys SELECT gen_random_uuid(), gen_random_uuid(), "
                "decode(md5(random()::text) || md5(random()::text), 'hex'), NULL "
                "FROM generate_series(1, %s)"
            ).format(Identifier(schema)),
            (count,),
        )


def _raw_log(settings: Settings) -> list[tuple[int, UUID, int, str, bytes]]:
    """(position, aggregate, version, topic, stored bytes) of every event, in log order."""
    if settings.backend == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            rows = conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events ORDER BY rowid"
            ).fetchall()
    else:
        base, schema = _pg(settings)
        table = SQL("{}.{}").format(Identifier(schema), Identifier(PG_EVENTS))
        with psycopg.connect(base) as conn:
            rows = conn.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {} ORDER BY notification_id"
                ).format(table)
            ).fetchall()
    return [(int(p), UUID(str(o)), int(v), str(t), bytes(s)) for p, o, v, t, s in rows]


def _superuser(settings: Settings, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Runs statements as an owner who dropped the immutability triggers first."""
    if settings.backend == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            for table in ("stored_events", "event_chain"):
                for operation in ("update", "delete"):
                    conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
            for statement, params in statements:
                conn.execute(statement.format(events="stored_events", chain="event_chain"), params)
        return
    base, schema = _pg(settings)
    with psycopg.connect(base) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement, params in statements:
            text = statement.replace("?", "%s").format(
                events=f'"{schema}".{PG_EVENTS}', chain=f'"{schema}".event_chain'
            )
            conn.execute(text, params)  # type: ignore[call-overload]


def superuser_truncate(settings: Settings, keep_through: int) -> None:
    """Cuts the log's end: every event and chain link after ``keep_through`` deleted."""
    position = "rowid" if settings.backend == "sqlite" else "notification_id"
    _superuser(
        settings,
        [
            (f"DELETE FROM {{events}} WHERE {position} > ?", (keep_through,)),
            ("DELETE FROM {chain} WHERE position > ?", (keep_through,)),
        ],
    )


def superuser_rechain(settings: Settings, change: Callable[[bytes], bytes], at: int) -> None:
    """Alters the event at ``at`` and rewrites every link from there on, as an attacker who knows
    the chain's recipe would: ``verify`` alone then finds nothing."""
    position = "rowid" if settings.backend == "sqlite" else "notification_id"
    statements: list[tuple[str, tuple[Any, ...]]] = []
    previous = GENESIS
    for pos, originator, version, topic, state in _raw_log(settings):
        if pos == at:
            state = change(state)
            statements.append(
                (f"UPDATE {{events}} SET state = ? WHERE {position} = ?", (state, pos))
            )
        event = StoredEvent(originator, version, topic, state)
        previous = link(previous, pos, event)
        if pos >= at:
            statements.append(("UPDATE {chain} SET hash = ? WHERE position = ?", (previous, pos)))
    _superuser(settings, statements)


def superuser_insert(settings: Settings, after: int) -> None:
    """A forged event inserted right after ``after``: the later events and their links move up
    one position (their links left as they were), and the forged one gets a copy of the link
    before it, as an attacker who does not recompute the chain would leave it."""
    position = "rowid" if settings.backend == "sqlite" else "notification_id"
    forged = uuid.uuid4().hex if settings.backend == "sqlite" else uuid.uuid4()
    _superuser(
        settings,
        [
            (
                f"UPDATE {{events}} SET {position} = -({position} + 1) WHERE {position} > ?",
                (after,),
            ),
            (f"UPDATE {{events}} SET {position} = -{position} WHERE {position} < 0", ()),
            ("UPDATE {chain} SET position = -(position + 1) WHERE position > ?", (after,)),
            ("UPDATE {chain} SET position = -position WHERE position < 0", ()),
            (
                f"INSERT INTO {{events}} ({position}, originator_id, originator_version, topic, "
                f"state) SELECT {position} + 1, ?, originator_version, topic, state "
                f"FROM {{events}} WHERE {position} = ?",
                (forged, after),
            ),
            (
                "INSERT INTO {chain} SELECT position + 1, hash FROM {chain} WHERE position = ?",
                (after,),
            ),
        ],
    )


@contextmanager
def old_reader(settings: Settings) -> Iterator[None]:
    """Another session holding a read snapshot (a long export, a runner's batch)."""
    if settings.backend == "sqlite":
        conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        conn.execute("BEGIN")
        conn.execute("SELECT COUNT(*) FROM envelope_keys").fetchone()
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    base, schema = _pg(settings)
    with psycopg.connect(base) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        conn.execute(SQL("SELECT COUNT(*) FROM {}.envelope_keys").format(Identifier(schema)))
        yield
        conn.rollback()


def raw_keys(settings: Settings) -> dict[UUID, bytes]:
    """Every row of ``envelope_keys`` as stored: what a copy of the database holds."""
    if settings.backend == "sqlite":
        with closing(sqlite3.connect(settings.sqlite_path)) as conn:
            rows = conn.execute("SELECT envelope_id, key FROM envelope_keys").fetchall()
    else:
        base, schema = _pg(settings)
        with psycopg.connect(base) as conn:
            rows = conn.execute(
                SQL("SELECT envelope_id, key FROM {}.envelope_keys").format(Identifier(schema))
            ).fetchall()
    return {UUID(str(envelope)): bytes(key) for envelope, key in rows}


def set_raw_key(settings: Settings, envelope_id: UUID, stored: bytes) -> None:
    """Overwrites one stored key behind the Ledger's back."""
    if settings.backend == "sqlite":
        with closing(sqlite3.connect(settings.sqlite_path)) as conn, conn:
            conn.execute(
                "UPDATE envelope_keys SET key = ? WHERE envelope_id = ?", (stored, envelope_id.hex)
            )
        return
    base, schema = _pg(settings)
    with psycopg.connect(base) as conn:
        conn.execute(
            SQL("UPDATE {}.envelope_keys SET key = %s WHERE envelope_id = %s").format(
                Identifier(schema)
            ),
            (stored, envelope_id),
        )
