"""Builds a Ledger on the configured store; creates the schema only when asked (``migrate``)."""

from __future__ import annotations

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import Ledger
from runtime.privileges import grant_application_role
from runtime.sealing import SealingMapper
from runtime.settings import Settings


def open_ledger(settings: Settings, *, create_schema: bool = False) -> Ledger:
    ledger = Ledger(
        env=settings.eventsourcing_env(create_schema=create_schema), policy=settings.policy()
    )
    mapper = ledger.mapper
    assert isinstance(mapper, SealingMapper)
    mapper.keys = ledger.recorder  # type: ignore[assignment]
    return ledger


def migrate(settings: Settings, *, app_role: str | None = None) -> None:
    """Creates every table, index and trigger once; workers then start without DDL.

    On PostgreSQL, ``app_role`` gets the least privileges the application needs.
    """
    if settings.backend == "sqlite":
        if app_role is not None:
            raise ValueError("--app-role applies to PostgreSQL only")
        open_ledger(settings, create_schema=True).close()
        return
    url, schema = (
        settings.database_url.split("?")[0],
        settings.eventsourcing_env()["POSTGRES_SCHEMA"],
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
    open_ledger(settings, create_schema=True).close()
    if app_role is not None:
        grant_application_role(url, schema, app_role)
