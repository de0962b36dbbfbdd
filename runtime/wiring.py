"""Builds a Ledger on the configured store; creates the schema only when asked (``migrate``)."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import Notification
from psycopg.sql import SQL, Identifier

from api.auth import TokenStore
from domain.application import Ledger
from projections import ALL
from projections.db import ViewDb
from projections.runner import ProjectionRunner
from runtime.privileges import grant_application_role
from runtime.sealing import SealingMapper
from runtime.settings import Settings
from runtime.vault import KeyVault


def open_ledger(settings: Settings, *, create_schema: bool = False, writer: bool = True) -> Ledger:
    """The Ledger on the configured store. A ``writer`` gets the subject key (HMACs of
    identities); readers such as projection runners never need it."""
    ledger = Ledger(
        env=settings.eventsourcing_env(create_schema=create_schema), policy=settings.policy()
    )
    mapper, vault = ledger.mapper, ledger.recorder
    assert isinstance(mapper, SealingMapper)
    assert isinstance(vault, KeyVault)
    mapper.keys = vault
    if writer:
        vault.subject_key = settings.subject_key()
    return ledger


def open_view_db(settings: Settings) -> ViewDb:
    if settings.backend == "sqlite":
        return ViewDb("sqlite", str(settings.sqlite_path))
    schema = settings.eventsourcing_env()["POSTGRES_SCHEMA"]
    return ViewDb("postgres", settings.database_url.split("?")[0], schema)


def open_runner(
    settings: Settings, names: Sequence[str] | None = None, *, ledger: Ledger | None = None
) -> tuple[ProjectionRunner, Ledger]:
    """A runner on every view (or the named ones), reading the log without any envelope key:
    through ``ledger``'s store when given (its keys stay unused), else through a reader of its
    own, returned for the caller to close."""
    ledger = ledger or open_ledger(settings, writer=False)
    recorder = ledger.recorder
    redacting = SealingMapper(transcoder=ledger.mapper.transcoder)
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

    return ProjectionRunner(open_view_db(settings), read, redacting, head, chosen), ledger


def migrate(settings: Settings, *, app_role: str | None = None) -> None:
    """Creates every table, index and trigger once; workers then start without DDL.

    On PostgreSQL, ``app_role`` gets the least privileges the application needs.
    """
    if settings.backend == "sqlite":
        if app_role is not None:
            raise ValueError("--app-role applies to PostgreSQL only")
        open_ledger(settings, create_schema=True, writer=False).close()
        _migrate_views(settings)
        return
    url, schema = (
        settings.database_url.split("?")[0],
        settings.eventsourcing_env()["POSTGRES_SCHEMA"],
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
    open_ledger(settings, create_schema=True, writer=False).close()
    _migrate_views(settings)
    if app_role is not None:
        grant_application_role(url, schema, app_role)


def _migrate_views(settings: Settings) -> None:
    runner, ledger = open_runner(settings)
    try:
        runner.migrate()
        TokenStore(runner.db).migrate()
    finally:
        runner.db.close()
        ledger.close()
