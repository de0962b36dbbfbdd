"""The SQLite event store: eventsourcing's recorder plus the key vault, the hash chain and the
immutability triggers (see ``store.vault`` and ``store.chain``).

Destroying an envelope deletes its key in the same transaction as its ``PersonalDataDestroyed``
event, leaves a tombstone (``destroyed_envelopes``), and then scrubs the WAL: with
``secure_delete`` no page keeps the deleted key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from application.ports import NO_EXTRAS, SaveExtras
from store.chain import GENESIS, links
from store.vault import IMMUTABLE_TABLES, KeyVault
from store.wrapping import MasterKeys


def _sqlite_ledger_ddl(events_table: str) -> list[str]:
    statements = [
        "CREATE TABLE IF NOT EXISTS envelope_keys (envelope_id TEXT PRIMARY KEY, "
        "owner_id TEXT NOT NULL, key BLOB NOT NULL, subject_hash BLOB)",
        "CREATE INDEX IF NOT EXISTS envelope_keys_subject ON envelope_keys (subject_hash)",
        "CREATE TABLE IF NOT EXISTS visit_tokens (token BLOB PRIMARY KEY, quarter TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS destroyed_envelopes (envelope_id TEXT PRIMARY KEY, "
        "owner_id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS event_chain (position INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
        # A destruction whose WAL frames are not yet truncated away (see ``scrub``).
        "CREATE TABLE IF NOT EXISTS scrub_pending (what TEXT PRIMARY KEY)",
    ]
    for table in (events_table, *IMMUTABLE_TABLES):
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation} "
                f"ON {table} BEGIN SELECT RAISE(ABORT, 'ledger history is immutable: "
                f"{operation} on {table} refused'); END"
            )
    return statements


_SQLITE_QUERIES = {
    "key": "SELECT key FROM envelope_keys WHERE envelope_id = :k",
    "owner": "SELECT owner_id FROM envelope_keys WHERE envelope_id = :k UNION ALL "
    "SELECT owner_id FROM destroyed_envelopes WHERE envelope_id = :k",
    "by_subject": "SELECT envelope_id FROM envelope_keys WHERE subject_hash = :k "
    "ORDER BY envelope_id",
    "visit": "SELECT 1 FROM visit_tokens WHERE token = :k",
    "subject": "SELECT subject_hash FROM envelope_keys WHERE envelope_id = :k",
}


class SQLiteLedgerRecorder(KeyVault, SQLiteApplicationRecorder):
    def __init__(
        self,
        datastore: SQLiteDatastore,
        *,
        subject_key: bytes | None,
        master: Callable[[], MasterKeys],
        events_table_name: str = "stored_events",
    ) -> None:
        super().__init__(datastore, events_table_name)
        self._init_vault(subject_key, master)

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + _sqlite_ledger_ddl(
            self.events_table_name
        )

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        extras: SaveExtras = kwargs.get("extras", NO_EXTRAS)
        new_keys = self._wrapped_rows(extras.new_envelopes)
        c.executemany(
            "INSERT INTO envelope_keys (envelope_id, owner_id, key, subject_hash) "
            "VALUES (?, ?, ?, ?)",
            [(envelope.hex, owner.hex, key, subject) for envelope, owner, key, subject in new_keys],
        )
        c.executemany("INSERT OR IGNORE INTO visit_tokens VALUES (?, ?)", extras.visit_tokens)
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        c.execute("SELECT hash FROM event_chain ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        rows = links(bytes(row[0]) if row else GENESIS, positions, stored_events)
        c.executemany("INSERT INTO event_chain (position, hash) VALUES (?, ?)", rows)
        self._destroy_keys(c, extras.destroy_envelopes)
        return positions

    @staticmethod
    def _destroy_keys(c: SQLiteCursor, envelope_ids: Sequence[UUID]) -> None:
        if not envelope_ids:
            return
        c.execute("PRAGMA secure_delete = ON")
        for envelope_id in envelope_ids:
            c.execute(
                "INSERT OR IGNORE INTO destroyed_envelopes SELECT envelope_id, owner_id "
                "FROM envelope_keys WHERE envelope_id = ?",
                (envelope_id.hex,),
            )
            c.execute("DELETE FROM envelope_keys WHERE envelope_id = ?", (envelope_id.hex,))
        c.execute("INSERT OR IGNORE INTO scrub_pending VALUES ('wal')")

    def _values(self, query: str, key: Any) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_SQLITE_QUERIES[query], {"k": key.hex if isinstance(key, UUID) else key})
            return [row[0] for row in c.fetchall()]

    def _value(self, query: str, key: Any) -> Any:
        values = self._values(query, key)
        return values[0] if values else None

    def _keys_of(self, envelope_ids: Sequence[UUID]) -> list[tuple[UUID, bytes]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT envelope_id, key FROM envelope_keys "
                "WHERE envelope_id IN (SELECT value FROM json_each(?))",
                (json.dumps([e.hex for e in envelope_ids]),),
            )
            return [(UUID(row[0]), bytes(row[1])) for row in c.fetchall()]

    def select_events_of(self, originator_ids: Collection[UUID]) -> list[StoredEvent]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                f"FROM {self.events_table_name} "
                "WHERE originator_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY originator_id, originator_version",
                (json.dumps([o.hex for o in originator_ids]),),
            )
            return [
                StoredEvent(
                    originator_id=UUID(row[0]),
                    originator_version=row[1],
                    topic=row[2],
                    state=row[3],
                )
                for row in c.fetchall()
            ]

    def _stored_keys(self) -> list[tuple[UUID, bytes]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT envelope_id, key FROM envelope_keys")
            return [(UUID(row[0]), bytes(row[1])) for row in c.fetchall()]

    def _replace_keys(self, rows: list[tuple[UUID, bytes]]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.executemany(
                "UPDATE envelope_keys SET key = ? WHERE envelope_id = ?",
                [(key, envelope.hex) for envelope, key in rows],
            )
            c.execute("INSERT OR IGNORE INTO scrub_pending VALUES ('wal')")

    def purge_visit_tokens(self, before_quarter: str) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.execute("SELECT COUNT(*) FROM visit_tokens WHERE quarter < ?", (before_quarter,))
            count = int(c.fetchone()[0])
            c.execute("DELETE FROM visit_tokens WHERE quarter < ?", (before_quarter,))
        self.scrub()
        return count

    def scrub(self) -> bool:
        """Copies the WAL into the database and truncates it: no old page keeps a deleted key.

        A reader still holding an older snapshot keeps the checkpoint from completing: the
        destruction then stays pending (``scrub_pending``), and the next scrub (the scheduler
        calls one every tick) tries again. ``True`` once nothing is pending."""
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("SELECT COUNT(*) FROM scrub_pending")
            pending = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, frames, _ = cursor.fetchone()
            done = busy == 0 and frames == 0
            if pending and done:
                cursor.execute("DELETE FROM scrub_pending")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the delete's own frames
            return done or not pending

    def select_chain(self, after: int | None, limit: int) -> list[tuple[int, bytes]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT position, hash FROM event_chain WHERE position > ? ORDER BY position "
                "LIMIT ?",
                (after or 0, limit),
            )
            return [(row[0], bytes(row[1])) for row in c.fetchall()]

    def chain_head(self) -> tuple[int, bytes] | None:
        """The last stored link: the head an anchor records."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, hash FROM event_chain ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def select_after(self, after: int | None, limit: int) -> Sequence[Notification]:
        return self.select_notifications(after or 0, limit, inclusive_of_start=False)

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        """Version -> position in the log, for one aggregate (its history)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, rowid FROM {self.events_table_name} "  # noqa: S608
                "WHERE originator_id = ?",
                (originator_id.hex,),
            )
            return {int(row[0]): int(row[1]) for row in c.fetchall()}
