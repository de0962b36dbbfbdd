"""Builds everything from ``Settings``: the store's parts, the Ledger on them, the view database,
the projection runner, the token store. Schema is created only when asked (``migrate``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import psycopg
from eventsourcing.persistence import Notification
from psycopg.sql import SQL, Identifier

from application.ledger import Ledger
from application.ports import StoreParts
from projections import ALL
from projections.db import ViewDb
from projections.runner import ProjectionRunner
from runtime.settings import Settings
from store.chain import ChainedRecorder, Verification, verify_store
from store.open import open_store, redacting_mapper
from store.privileges import grant_application_role
from store.tokens import TokenStore


def open_parts(
    settings: Settings, *, writer: bool = True, create_schema: bool = False
) -> StoreParts:
    """A ``writer`` gets the subject key (HMACs of identities); readers such as projection
    runners and ``ledger verify`` never need it."""
    return open_store(
        settings.eventsourcing_env(),
        subject_key=settings.subject_key() if writer else None,
        create_schema=create_schema,
    )


def open_ledger(settings: Settings, *, writer: bool = True) -> Ledger:
    """The Ledger on the configured store (closing it closes the store); a Ledger opened
    without ``writer`` reads, but cannot open a case or sign a mandate."""
    return Ledger(open_parts(settings, writer=writer), policy=settings.policy())


def open_view_db(settings: Settings) -> ViewDb:
    if settings.backend == "sqlite":
        return ViewDb("sqlite", str(settings.sqlite_path))
    schema = settings.eventsourcing_env()["POSTGRES_SCHEMA"]
    return ViewDb("postgres", settings.database_url.split("?")[0], schema)


def open_runner(
    settings: Settings, names: Sequence[str] | None = None, *, parts: StoreParts | None = None
) -> tuple[ProjectionRunner, StoreParts]:
    """A runner on every view (or the named ones), decoding events without any envelope key:
    on ``parts`` when given (a Ledger's store: its keys stay unused), else on a reader of its
    own. The store is returned for the caller to close."""
    parts = parts or open_parts(settings, writer=False)
    recorder = parts.recorder
    chosen = [p for p in ALL if names is None or p.name in names]
    unknown = set(names or ()) - {p.name for p in ALL}
    if unknown:
        raise ValueError(f"unknown views: {', '.join(sorted(unknown))}")

    def read(
        after: int, limit: int, topics: Sequence[str] = (), stop: int | None = None
    ) -> Sequence[Notification]:
        return recorder.select_notifications(after, limit, stop, topics, inclusive_of_start=False)

    def head() -> int:
        return recorder.max_notification_id() or 0

    runner = ProjectionRunner(open_view_db(settings), read, redacting_mapper(parts), head, chosen)
    return runner, parts


def open_tokens(views: ViewDb) -> TokenStore:
    return TokenStore(views)


def verify(settings: Settings) -> Verification:
    """``ledger verify``: the hash chain recomputed from the stored events."""
    parts = open_parts(settings, writer=False)
    try:
        return verify_store(cast(ChainedRecorder, parts.recorder))
    finally:
        parts.close()


def migrate(settings: Settings, *, app_role: str | None = None) -> None:
    """Creates every table, index and trigger once; workers then start without DDL.

    On PostgreSQL, ``app_role`` gets the least privileges the application needs.
    """
    if settings.backend == "sqlite" and app_role is not None:
        raise ValueError("--app-role applies to PostgreSQL only")
    url, schema = (
        settings.database_url.split("?")[0],
        settings.eventsourcing_env().get("POSTGRES_SCHEMA", ""),
    )
    if settings.backend == "postgres":
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
    open_parts(settings, writer=False, create_schema=True).close()
    runner, parts = open_runner(settings)
    try:
        runner.migrate()
        TokenStore(runner.db).migrate()
    finally:
        runner.db.close()
        parts.close()
    if app_role is not None:
        view_tables = [table for projection in ALL for table in projection.tables]
        grant_application_role(url, schema, app_role, view_tables)
