"""The PostgreSQL event store: eventsourcing's recorder plus the key vault, the hash chain and
the immutability triggers (see ``store.vault`` and ``store.chain``).

Keys live in 64 hash partitions: after a destruction, ``scrub`` rewrites (VACUUM FULL) only the
partitions that lost a key, so no dead tuple keeps its bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from application.ports import NO_EXTRAS, SaveExtras
from store.chain import GENESIS, links
from store.vault import IMMUTABLE_TABLES, KeyVault
from store.wrapping import MasterKeys

KEY_PARTITIONS = 64  # VACUUM FULL after a destruction rewrites 1/64 of the keys
# Another session whose snapshot is as old as a deletion could still see the deleted key.
OLDER_SNAPSHOT = SQL(
    "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL "
    "AND age(backend_xmin) >= age(xid(%(x)s::xid8))"
)


def _pg_ledger_ddl(schema: str, events_table: str) -> list[Composed]:
    ident = {"schema": Identifier(schema)}
    statements = [
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.envelope_keys (envelope_id uuid PRIMARY KEY, "
            "owner_id uuid NOT NULL, key bytea NOT NULL, subject_hash bytea) "
            "PARTITION BY HASH (envelope_id)"
        ).format(**ident),
        SQL(
            "CREATE INDEX IF NOT EXISTS envelope_keys_subject ON {schema}.envelope_keys "
            "(subject_hash)"
        ).format(**ident),
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.visit_tokens (token bytea PRIMARY KEY, "
            "quarter text NOT NULL)"
        ).format(**ident),
        *(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{part} PARTITION OF {schema}.envelope_keys "
                "FOR VALUES WITH (MODULUS {n}, REMAINDER {i})"
            ).format(part=Identifier(f"envelope_keys_p{i:02d}"), n=KEY_PARTITIONS, i=i, **ident)
            for i in range(KEY_PARTITIONS)
        ),
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.destroyed_envelopes "
            "(envelope_id uuid PRIMARY KEY, owner_id uuid NOT NULL)"
        ).format(**ident),
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.event_chain (position bigint PRIMARY KEY, "
            "hash bytea NOT NULL)"
        ).format(**ident),
        # Partitions that lost a key and still hold its dead tuple (see ``scrub``).
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.scrub_pending (partition text PRIMARY KEY, "
            "deleting_xid xid8 NOT NULL)"
        ).format(**ident),
        SQL(
            "CREATE OR REPLACE FUNCTION {schema}.ledger_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ledger history is immutable: % on % "
            "refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
        ).format(**ident),
    ]
    for table in (events_table, *IMMUTABLE_TABLES):
        names = {"table": Identifier(table), **ident}
        statements += [
            SQL(
                "CREATE OR REPLACE TRIGGER ledger_immutable_rows BEFORE UPDATE OR DELETE ON "
                "{schema}.{table} FOR EACH ROW EXECUTE FUNCTION {schema}.ledger_refuse_change()"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE TRIGGER ledger_immutable_truncate BEFORE TRUNCATE ON "
                "{schema}.{table} FOR EACH STATEMENT EXECUTE FUNCTION "
                "{schema}.ledger_refuse_change()"
            ).format(**names),
        ]
    return statements


class PostgresLedgerRecorder(KeyVault, PostgresApplicationRecorder):
    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        subject_key: bytes | None,
        master: Callable[[], MasterKeys],
        events_table_name: str = "stored_events",
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements += _pg_ledger_ddl(datastore.schema, events_table_name)
        self._schema = Identifier(datastore.schema)
        self._init_vault(subject_key, master)
        self._queries = {
            "key": self._q("SELECT key FROM {schema}.envelope_keys WHERE envelope_id = %(k)s"),
            "owner": self._q(
                "SELECT owner_id FROM {schema}.envelope_keys WHERE envelope_id = %(k)s UNION ALL "
                "SELECT owner_id FROM {schema}.destroyed_envelopes WHERE envelope_id = %(k)s"
            ),
            "by_subject": self._q(
                "SELECT envelope_id FROM {schema}.envelope_keys WHERE subject_hash = %(k)s "
                "ORDER BY envelope_id"
            ),
            "visit": self._q("SELECT 1 FROM {schema}.visit_tokens WHERE token = %(k)s"),
            "keys": self._q(
                "SELECT envelope_id, key FROM {schema}.envelope_keys "
                "WHERE envelope_id = ANY(%(k)s::uuid[])"
            ),
            "subject": self._q(
                "SELECT subject_hash FROM {schema}.envelope_keys WHERE envelope_id = %(k)s"
            ),
        }
        self._events_of = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%(k)s::uuid[]) ORDER BY originator_id, originator_version"
        ).format(schema=self._schema, table=Identifier(events_table_name))
        self._lock = threading.Lock()

    def _q(self, text: str) -> Composed:
        return SQL(text).format(schema=self._schema)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        extras: SaveExtras = kwargs.get("extras", NO_EXTRAS)
        new_keys = self._wrapped_rows(extras.new_envelopes)
        if new_keys:
            curs.executemany(
                self._q(
                    "INSERT INTO {schema}.envelope_keys (envelope_id, owner_id, key, subject_hash) "
                    "VALUES (%s, %s, %s, %s)"
                ),
                new_keys,
            )
        visit_tokens = extras.visit_tokens
        if visit_tokens:
            curs.executemany(
                self._q("INSERT INTO {schema}.visit_tokens VALUES (%s, %s) ON CONFLICT DO NOTHING"),
                visit_tokens,
            )
        for envelope_id in extras.destroy_envelopes:
            curs.execute(
                self._q(
                    "INSERT INTO {schema}.destroyed_envelopes SELECT envelope_id, owner_id "
                    "FROM {schema}.envelope_keys WHERE envelope_id = %s "
                    "ON CONFLICT DO NOTHING"
                ),
                (envelope_id,),
            )
            curs.execute(
                self._q(
                    "WITH gone AS (DELETE FROM {schema}.envelope_keys WHERE envelope_id = %s "
                    "RETURNING tableoid::regclass::text AS part) "
                    "INSERT INTO {schema}.scrub_pending SELECT part, pg_current_xact_id() "
                    "FROM gone ON CONFLICT (partition) DO UPDATE "
                    "SET deleting_xid = EXCLUDED.deleting_xid"
                ),
                (envelope_id,),
            )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert positions is not None
        curs.execute(
            self._q("SELECT hash FROM {schema}.event_chain ORDER BY position DESC LIMIT 1")
        )
        row = curs.fetchone()
        rows = links(bytes(row["hash"]) if row else GENESIS, positions, stored_events)
        curs.executemany(
            self._q("INSERT INTO {schema}.event_chain (position, hash) VALUES (%s, %s)"), rows
        )
        return positions

    def _values(self, query: str, key: Any) -> list[Any]:
        """A single-statement read on an autocommit connection: one round trip, no BEGIN."""
        with self.datastore.get_connection() as conn:
            rows = conn.execute(self._queries[query], {"k": key}, prepare=True).fetchall()
        return [next(iter(row.values())) for row in rows]

    def _value(self, query: str, key: Any) -> Any:
        values = self._values(query, key)
        return values[0] if values else None

    def _keys_of(self, envelope_ids: Sequence[UUID]) -> list[tuple[UUID, bytes]]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                self._queries["keys"], {"k": list(envelope_ids)}, prepare=True
            ).fetchall()
        return [(row["envelope_id"], bytes(row["key"])) for row in rows]

    def select_events_of(self, originator_ids: Collection[UUID]) -> list[StoredEvent]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                self._events_of, {"k": list(originator_ids)}, prepare=True
            ).fetchall()
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in rows
        ]

    def _stored_keys(self) -> list[tuple[UUID, bytes]]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(self._q("SELECT envelope_id, key FROM {schema}.envelope_keys"))
            return [(row["envelope_id"], bytes(row["key"])) for row in rows.fetchall()]

    def _replace_keys(self, rows: list[tuple[UUID, bytes]]) -> None:
        """Every partition then holds the old wrapped keys as dead tuples: each is scrubbed
        like a partition that lost a key."""
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                self._q("UPDATE {schema}.envelope_keys SET key = %s WHERE envelope_id = %s"),
                [(key, envelope) for envelope, key in rows],
            )
            curs.execute(
                self._q(
                    "INSERT INTO {schema}.scrub_pending SELECT c.oid::regclass::text, "
                    "pg_current_xact_id() FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = %s::regclass ON CONFLICT (partition) DO UPDATE "
                    "SET deleting_xid = EXCLUDED.deleting_xid"
                ),
                (f'"{self.datastore.schema}".envelope_keys',),
            )

    def purge_visit_tokens(self, before_quarter: str) -> int:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._q("DELETE FROM {schema}.visit_tokens WHERE quarter < %s"), (before_quarter,)
            )
            count = curs.rowcount
        with self.datastore.get_connection() as conn:
            conn.execute(self._q("VACUUM FULL {schema}.visit_tokens"))
        return int(count)

    def scrub(self) -> bool:
        """Rewrites each partition that lost a key: plain VACUUM would leave the bytes of a dead
        tuple in the page's free space; VACUUM FULL writes a new file without them.

        VACUUM FULL keeps a dead tuple that an older snapshot may still see: a partition is
        rewritten only once no other session of the database holds a snapshot from before its
        deletion, else it stays pending (``scrub_pending``) for the next scrub (the scheduler
        calls one every tick). ``True`` once nothing is pending."""
        with self._lock, self.datastore.get_connection() as conn:
            pending = conn.execute(
                self._q("SELECT partition, deleting_xid FROM {schema}.scrub_pending")
            ).fetchall()
            left = 0
            for row in pending:
                older = conn.execute(OLDER_SNAPSHOT, {"x": row["deleting_xid"]}).fetchone()
                if older and older["n"]:
                    left += 1
                    continue
                conn.execute(SQL("VACUUM FULL {}").format(SQL(row["partition"])))
                conn.execute(
                    self._q(
                        "DELETE FROM {schema}.scrub_pending WHERE partition = %(p)s "
                        "AND deleting_xid = %(x)s"
                    ),
                    {"p": row["partition"], "x": row["deleting_xid"]},
                )
            return left == 0

    def select_chain(self, after: int | None, limit: int) -> list[tuple[int, bytes]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                self._q(
                    "SELECT position, hash FROM {schema}.event_chain WHERE position > %s "
                    "ORDER BY position LIMIT %s"
                ),
                (after or 0, limit),
            )
            return [(row["position"], bytes(row["hash"])) for row in curs.fetchall()]

    def chain_head(self) -> tuple[int, bytes] | None:
        """The last stored link: the head an anchor records."""
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                self._q(
                    "SELECT position, hash FROM {schema}.event_chain ORDER BY position DESC LIMIT 1"
                )
            ).fetchone()
        return None if row is None else (int(row["position"]), bytes(row["hash"]))

    def select_after(self, after: int | None, limit: int) -> Sequence[Notification]:
        page = self.select_notifications(after or 0, limit, inclusive_of_start=False)
        return cast(Sequence[Notification], page)

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        """Version -> position in the log, for one aggregate (its history)."""
        statement = SQL(
            "SELECT originator_version, notification_id FROM {schema}.{table} "
            "WHERE originator_id = %s"
        ).format(schema=self._schema, table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn:
            rows = conn.execute(statement, (originator_id,)).fetchall()
        return {int(r["originator_version"]): int(r["notification_id"]) for r in rows}
