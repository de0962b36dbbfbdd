"""The scheduler's leader lock: one holder at a time, released by the system when the holder
dies, so a follower takes over at its next try.

* PostgreSQL: a session advisory lock on a connection of its own (keyed by the schema);
* SQLite: an exclusive ``flock`` on a file beside the database.
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path
from typing import IO, Any

import psycopg


def lock_key(schema: str) -> int:
    digest = hashlib.sha256(f"france-services-ledger:scheduler:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLeaderLock:
    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.key = lock_key(schema)
        self._conn: psycopg.Connection[Any] | None = None
        self._held = False

    def acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn, self._held = psycopg.connect(self.url, autocommit=True), False
            if self._held:
                self._conn.execute("SELECT 1")  # the lock lives as long as this connection
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self._held = bool(row and row[0])
        except psycopg.OperationalError:
            self._drop()
        return self._held

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._held = None, False

    def release(self) -> None:
        if self._conn is not None and self._held and not self._conn.closed:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._drop()


class FileLeaderLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
