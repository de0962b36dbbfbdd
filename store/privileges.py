"""Least privilege on PostgreSQL: what the application role may do, granted by ``migrate``."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg.sql import SQL, Composed, Identifier

from store.postgres import KEY_PARTITIONS

EVENTS_TABLE = "ledger_events"


def grant_statements(schema: str, role: str, view_tables: Sequence[str]) -> list[Composed]:
    """Read and append history; read, add, re-wrap and delete keys; own the key partitions and
    the visit tokens (VACUUM FULL after deletions); own the views, which runners rebuild and
    swap.

    UPDATE on the events table is needed only for the EXCLUSIVE lock that orders the log; the
    immutability trigger refuses any actual update, and a non-owner cannot drop the trigger.
    """
    names = {"schema": Identifier(schema), "role": Identifier(role)}
    statements = [
        SQL("GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}"),
        SQL("GRANT SELECT, INSERT, UPDATE ON {schema}.{events} TO {role}"),
        SQL("GRANT USAGE, SELECT ON SEQUENCE {schema}.{sequence} TO {role}"),
        SQL("GRANT SELECT, INSERT ON {schema}.event_chain, {schema}.destroyed_envelopes TO {role}"),
        SQL("GRANT SELECT, INSERT, DELETE, UPDATE (key) ON {schema}.envelope_keys TO {role}"),
        SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.scrub_pending TO {role}"),
    ]
    extra = {
        "events": Identifier(EVENTS_TABLE),
        "sequence": Identifier(f"{EVENTS_TABLE}_notification_id_seq"),
    }
    composed = [statement.format(**names, **extra) for statement in statements]
    owned = [f"envelope_keys_p{i:02d}" for i in range(KEY_PARTITIONS)]
    owned += ["visit_tokens", "projection_tracking", *view_tables]
    for table in owned:
        composed.append(
            SQL("ALTER TABLE {schema}.{table} OWNER TO {role}").format(
                table=Identifier(table), **names
            )
        )
    return composed


def grant_application_role(
    database_url: str, schema: str, role: str, view_tables: Sequence[str]
) -> list[str]:
    """Grants, in one transaction; then ``pg_read_all_stats``, without which the scrub cannot
    see other roles' snapshots (``store.postgres.OLDER_SNAPSHOT``). Only a superuser (or a
    role holding it WITH ADMIN OPTION) may grant it: otherwise the warning to act on is
    returned."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        with conn.transaction():
            for statement in grant_statements(schema, role, view_tables):
                conn.execute(statement)
        try:
            conn.execute(SQL("GRANT pg_read_all_stats TO {}").format(Identifier(role)))
        except psycopg.errors.InsufficientPrivilege:
            return [
                f"could not grant pg_read_all_stats to {role}: ask a superuser to, else a "
                "scrub after a destruction cannot see other roles' older snapshots"
            ]
    return []
