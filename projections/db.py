"""The view database: the same SQL on SQLite and PostgreSQL.

Views live beside the events (same SQLite file, same PostgreSQL schema), so a view's rows and its
tracking position commit in one transaction. SQL is written once with ``:name`` parameters and
``{table}`` placeholders; instants are fixed-width ISO 8601 UTC text and ids are UUID hex, so
ordering and equality are the same on both backends.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

import psycopg

_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def iso(instant: datetime | None) -> str | None:
    """Fixed-width UTC text (``ISO_FORMAT``): sorts like the instants it encodes. Built from
    ``isoformat``, which is faster than ``strftime`` and gives the same text for years 1000-9999."""
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


def from_iso(text: str | None) -> datetime | None:
    """The instant back (``fromisoformat`` reads the ``Z``; fifty times faster than strptime)."""
    return None if text is None else datetime.fromisoformat(text)


def hex_id(value: UUID | None) -> str | None:
    return None if value is None else value.hex


@lru_cache(maxsize=1024)
def _render(statement: str, tables: tuple[tuple[str, str], ...], backend: str) -> str:
    """Real table names in, and ``:name`` parameters as psycopg's ``%(name)s`` on PostgreSQL."""
    statement = statement.format(**dict(tables)) if tables else statement
    return _PARAM.sub(r"%(\1)s", statement) if backend == "postgres" else statement


class Tx:
    """One transaction on the view database; ``tables`` maps logical names to real ones."""

    def __init__(self, cursor: Any, backend: str, tables: Mapping[str, str]) -> None:
        self.cursor = cursor
        self.backend = backend
        self.tables = dict(tables)

    def sql(self, statement: str) -> str:
        return _render(statement, tuple(sorted(self.tables.items())), self.backend)

    def run(self, statement: str, params: Mapping[str, Any] | None = None) -> None:
        self.cursor.execute(self.sql(statement), params or {})

    def one(
        self, statement: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, ...] | None:
        self.run(statement, params)
        row = self.cursor.fetchone()
        return None if row is None else tuple(row)

    def all(self, statement: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self.run(statement, params)
        return [tuple(row) for row in self.cursor.fetchall()]

    def many(
        self, statement: str, rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]]
    ) -> None:
        """Named parameters with mappings; rows as tuples need the backend's own placeholder."""
        if rows:
            self.cursor.executemany(self.sql(statement), rows)

    def with_tables(self, tables: Mapping[str, str]) -> Tx:
        return Tx(self.cursor, self.backend, tables)

    @contextmanager
    def apart(self, tables: Mapping[str, str]) -> Iterator[Tx]:
        """The same transaction through a cursor of its own: several views writing in one
        transaction never read one another's results (psycopg's ``executemany`` runs in an
        internal pipeline, and a later statement on the same cursor could be handed a stale
        ``INSERT`` result)."""
        with closing(self.cursor.connection.cursor()) as cursor:
            yield Tx(cursor, self.backend, tables)


# 100,000 pages of 4 KiB: a WAL of at most about 400 MB during a rebuild. With 1,000,000 the
# rebuild's reads through the longer WAL cost what the checkpoints saved (2026-12-03).
BULK_CHECKPOINT_PAGES = 100_000


class ViewDb:
    """One connection to the view database: ``sqlite:///PATH`` or a PostgreSQL URL and schema."""

    def __init__(self, backend: str, target: str, schema: str = "public") -> None:
        self.backend = backend
        self.target = target
        self.schema = schema
        self._connection: Any = None
        self._lock = threading.RLock()

    def _connect(self) -> Any:
        if self.backend == "sqlite":
            conn = sqlite3.connect(
                self.target, isolation_level=None, timeout=30, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout = 30000")
            return conn
        return psycopg.connect(
            self.target, autocommit=True, options=f"-c search_path={self.schema}"
        )

    @property
    def connection(self) -> Any:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    @contextmanager
    def transaction(
        self, tables: Mapping[str, str] | None = None, *, pipeline: bool = False
    ) -> Iterator[Tx]:
        """SQLite: BEGIN IMMEDIATE takes the write lock at once. PostgreSQL: with ``pipeline``,
        statements are sent without waiting for each reply (errors surface at the next read
        or at commit, so callers isolate a failure without it)."""
        with self._lock:
            yield from self._transaction(tables, pipeline)

    def _transaction(self, tables: Mapping[str, str] | None, pipeline: bool) -> Iterator[Tx]:
        conn = self.connection
        if self.backend == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(conn.cursor(), self.backend, tables or {})
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        if pipeline:
            with conn.pipeline(), conn.transaction(), conn.cursor() as cursor:
                yield Tx(cursor, self.backend, tables or {})
            return
        with conn.transaction(), conn.cursor() as cursor:
            yield Tx(cursor, self.backend, tables or {})

    @contextmanager
    def reading(self, tables: Mapping[str, str] | None = None) -> Iterator[Tx]:
        """A read-only snapshot (no write lock on SQLite)."""
        with self._lock:
            yield from self._reading(tables)

    @contextmanager
    def streaming(self, tables: Mapping[str, str] | None = None) -> Iterator[Tx]:
        """A snapshot for a connection owned by one stream (an export read page by page, maybe
        from several threads in turn): no lock, since nothing else uses this connection."""
        yield from self._reading(tables)

    def _reading(self, tables: Mapping[str, str] | None) -> Iterator[Tx]:
        conn = self.connection
        if self.backend == "sqlite":
            conn.execute("BEGIN")
            try:
                yield Tx(conn.cursor(), self.backend, tables or {})
            finally:
                conn.execute("ROLLBACK")
            return
        with conn.transaction(force_rollback=True), conn.cursor() as cursor:
            yield Tx(cursor, self.backend, tables or {})

    def query(
        self, statement: str, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """One read statement without a transaction around it (autocommit): one round trip
        instead of three on PostgreSQL (no BEGIN, no ROLLBACK)."""
        with self._lock, closing(self.connection.cursor()) as cursor:
            return Tx(cursor, self.backend, {}).all(statement, params)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A rebuild's long run of commits. SQLite: the WAL is copied back into the database
        every ``BULK_CHECKPOINT_PAGES`` pages instead of every 1,000 (with the default, nearly
        each commit of a large rebuild paid a checkpoint: a third of a rebuild's time at 300k
        requests), then once, without waiting for readers, at the end. PostgreSQL: nothing."""
        if self.backend != "sqlite":
            yield
            return
        with self._lock:
            (before,) = self.connection.execute("PRAGMA wal_autocheckpoint").fetchone()
            self.connection.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
        try:
            yield
        finally:
            with self._lock:
                self.connection.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")
                self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def maintain(self, tables: Sequence[str]) -> None:
        """Fresh statistics (and, on PostgreSQL, the visibility map for index-only scans)."""
        with self._lock:
            for table in tables:
                self.connection.execute(
                    f"VACUUM ANALYZE {table}" if self.backend == "postgres" else f"ANALYZE {table}"
                )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def in_clause(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``(:p0, :p1, ...)`` and its parameters, for an ``IN`` list."""
    params = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return "(" + ", ".join(f":{name}" for name in params) + ")", params


def csv_chunks(lines: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Each line as CSV text, as it comes: exports never hold a whole table in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in lines:
        writer.writerow(line)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
