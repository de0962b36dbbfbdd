"""Builds everything from ``Settings``: the store's parts, the Ledger on them, the view database,
the projection runner, the token store. Schema is created only when asked (``migrate``)."""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import cast

import psycopg
from eventsourcing.persistence import Notification
from psycopg.sql import SQL, Identifier

from application.ledger import Ledger
from application.ports import StoreParts
from domain.structure import structure_uuid
from projections import ALL, VIEW_TABLES
from projections.db import ViewDb
from projections.runner import ProjectionRunner
from runtime.settings import MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, Settings, write_secret
from scheduler import heartbeat
from scheduler.cnil import CnilJob
from scheduler.complaints import ComplaintJob
from scheduler.integrity import Integrity, IntegrityJob
from scheduler.jobs import Context, Notice
from scheduler.mandates import MandateJob
from scheduler.retention import RetentionJob
from scheduler.runner import LeaderLock, Planned, Scheduler
from scheduler.sinks import Delivery, EmailSink, Fanout, WebhookSink, log_sink
from scheduler.sla import SlaJob
from scheduler.visits import VisitTokenJob
from store.anchors import Anchor, AnchorTampered, holds, latest_anchor, write_anchor
from store.chain import ChainedRecorder, Verification, verify_store
from store.leader import FileLeaderLock, PostgresLeaderLock
from store.open import open_store, redacting_mapper
from store.privileges import grant_application_role
from store.tokens import TokenStore
from store.vault import KeyVault
from store.wrapping import MasterKeys


def open_parts(
    settings: Settings, *, writer: bool = True, create_schema: bool = False
) -> StoreParts:
    """A ``writer`` gets the subject key (HMACs of identities); readers such as projection
    runners and ``ledger verify`` never need it."""
    return open_store(
        settings.eventsourcing_env(),
        subject_key=settings.subject_key() if writer else None,
        master=lambda: MasterKeys(*settings.master_secrets()),
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


@dataclass(frozen=True)
class Checked:
    """``ledger verify``'s answer: the chain recomputed, and how it holds against its anchor."""

    verification: Verification
    anchor: Anchor | None
    anchor_problem: str | None

    @property
    def ok(self) -> bool:
        return self.verification.ok and self.anchor_problem is None


def _anchors(settings: Settings) -> tuple[Path, bytes] | None:
    if settings.anchor_path is None or settings.anchor_secret is None:
        return None
    return settings.anchor_path, settings.anchor_secret.get_secret_value().encode()


def verify(settings: Settings) -> Checked:
    """``ledger verify``: the hash chain recomputed from the stored events, and checked against
    the latest anchor (a tampered anchor file is itself a failure)."""
    configured = _anchors(settings)
    try:
        anchor = latest_anchor(*configured) if configured else None
    except AnchorTampered as tampered:
        return Checked(Verification(False, None, None, 0), None, str(tampered))
    parts = open_parts(settings, writer=False)
    try:
        recorder = cast(ChainedRecorder, parts.recorder)
        result = verify_store(recorder, anchor.position if anchor else None)
    finally:
        parts.close()
    return Checked(result, anchor, holds(result, anchor))


def check_integrity(settings: Settings, now: datetime) -> Integrity:
    """The scheduler's hourly check: ``ledger verify``, then, if the chain holds, an anchor of
    its head (when anchors are configured). A broken log is never anchored."""
    checked = verify(settings)
    result = checked.verification
    written = anchor(settings, now) if checked.ok else None
    return Integrity(
        ok=checked.ok,
        verified_through=result.verified_through or 0,
        first_bad_position=result.first_bad_position,
        problem=checked.anchor_problem,
        anchored_position=None if written is None else written.position,
    )


def anchor(settings: Settings, now: datetime) -> Anchor | None:
    """Writes the chain's head as a signed anchor (``ledger anchor``, the scheduler hourly);
    ``None`` when no anchor file is configured or the log is empty."""
    configured = _anchors(settings)
    if configured is None:
        return None
    parts = open_parts(settings, writer=False)
    try:
        head = cast(ChainedRecorder, parts.recorder).chain_head()
    finally:
        parts.close()
    return None if head is None else write_anchor(*configured, head, now)


def is_migrated(settings: Settings) -> bool:
    """Whether ``ledger migrate`` created the schema (read only: creates no file or schema)."""
    if settings.backend == "sqlite":
        path = settings.sqlite_path
        if not path.exists():
            return False
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name IN ('event_chain', 'scheduler_ticks')"
            ).fetchall()
        return len(found) == 2
    url, schema = (
        settings.database_url.split("?")[0],
        settings.eventsourcing_env()["POSTGRES_SCHEMA"],
    )
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            (f'"{schema}".event_chain', f'"{schema}".scheduler_ticks'),
        ).fetchone()
    return bool(row and row[0])


AUTOVACUUM_OFF = (
    "PostgreSQL runs with autovacuum off: the events table and the views will have no fresh "
    "planner statistics and reads of many cases will be planned blind; turn autovacuum on, or "
    "run ANALYZE on the schema's tables after loads and daily (docs/operations.md, Stores)"
)


def migrate(settings: Settings, *, app_role: str | None = None) -> list[str]:
    """Creates every table, index and trigger once; workers then start without DDL; wraps the
    bare envelope keys an older version stored. On PostgreSQL, ``app_role`` gets the least
    privileges the application needs. Returns the warnings to show the operator."""
    if settings.backend == "sqlite" and app_role is not None:
        raise ValueError("--app-role applies to PostgreSQL only")
    url, schema = (
        settings.database_url.split("?")[0],
        settings.eventsourcing_env().get("POSTGRES_SCHEMA", ""),
    )
    warnings = []
    if settings.backend == "postgres":
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
            row = conn.execute("SELECT current_setting('autovacuum')").fetchone()
            if row is not None and row[0] != "on":
                warnings.append(AUTOVACUUM_OFF)
    parts = open_parts(settings, writer=False, create_schema=True)
    try:
        cast(KeyVault, parts.recorder).rewrap(bare_only=True)  # keys of an older store
    finally:
        parts.close()
    runner, parts = open_runner(settings)
    try:
        runner.migrate()
        TokenStore(runner.db).migrate()
        heartbeat.migrate(runner.db)
    finally:
        runner.db.close()
        parts.close()
    if app_role is not None:
        view_tables = [table for projection in ALL for table in projection.tables]
        warnings += grant_application_role(url, schema, app_role, view_tables)
    return warnings


@dataclass(frozen=True)
class Rotation:
    rewrapped: int
    scrubbed: bool  # False: an old wrapped form waits for the scheduler's next scrub
    master_file: Path | None  # the SQLite default: the file that now holds the new master


def key_status(settings: Settings) -> dict[str, int]:
    """How many stored envelope keys each master wrapped (``ledger keys status``)."""
    parts = open_parts(settings, writer=False)
    try:
        return cast(KeyVault, parts.recorder).key_kinds()
    finally:
        parts.close()


def rotate_master_key(settings: Settings) -> Rotation:
    """``ledger keys rotate``: every envelope key re-wrapped under the next master key, in one
    transaction, and the old wrapped forms scrubbed from the files.

    With ``LEDGER_MASTER_KEY`` the next one is ``LEDGER_MASTER_KEY_NEXT`` (the operator then
    makes it the current one). On the SQLite default the next key is written beside the
    database (``.master-key.next``) before the transaction, and replaces ``.master-key`` after
    it: a crash in between leaves both files, and both keep opening."""
    file_mode = settings.master_key is None and settings.backend == "sqlite"
    following = settings.secret_file(NEXT_MASTER_KEY_FILE) if file_mode else None
    if following is None and settings.master_key_next is None:
        raise ValueError("set LEDGER_MASTER_KEY_NEXT to the new master key to rotate to")
    if following is not None and not following.exists():
        settings.master_secrets()  # the current key file exists before the next one
        write_secret(following)
    parts = open_parts(settings, writer=False)
    try:
        vault = cast(KeyVault, parts.recorder)
        rewrapped = vault.rewrap()
        scrubbed = vault.scrub()
    finally:
        parts.close()
    if following is None:
        return Rotation(rewrapped, scrubbed, None)
    current = settings.secret_file(MASTER_KEY_FILE)
    os.replace(following, current)
    return Rotation(rewrapped, scrubbed, current)


def leader_lock(settings: Settings, role: str = "scheduler") -> LeaderLock:
    """One holder among the processes of a store: the scheduler's leader, or (``role="views"``)
    the one server worker that runs the embedded projection runner."""
    if settings.backend == "sqlite":
        path = settings.sqlite_path
        return FileLeaderLock(path.with_name(f"{path.name}.{role}-lock"))
    schema = settings.eventsourcing_env()["POSTGRES_SCHEMA"]
    key = schema if role == "scheduler" else f"{schema}/{role}"
    return PostgresLeaderLock(settings.database_url.split("?")[0], key)


def notifier(settings: Settings, ledger: Ledger, clock: Callable[[], datetime]) -> Fanout:
    """The log always; a webhook and e-mail when configured."""
    delivery = Delivery(ledger, clock)
    sinks: list[Callable[[Notice], None]] = [log_sink]
    if settings.alert_webhook_url and settings.alert_webhook_secret:
        secret = settings.alert_webhook_secret.get_secret_value().encode()
        sinks.append(WebhookSink(settings.alert_webhook_url, secret, delivery))
    if settings.smtp_host:
        password = settings.smtp_password
        sinks.append(
            EmailSink(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.alert_sender,
                delivery=delivery,
                dpo=settings.dpo_email,
                supervisors={
                    structure_uuid(code).hex: addresses
                    for code, addresses in settings.supervisor_emails.items()
                },
                starttls=settings.smtp_starttls,
                user=settings.smtp_user,
                password=password.get_secret_value() if password else None,
            )
        )
    return Fanout(sinks)


def open_scheduler(
    settings: Settings,
    ledger: Ledger,
    views: ViewDb,
    *,
    clock: Callable[[], datetime],
    notify: Callable[[Notice], None] | None = None,
) -> Scheduler:
    """Every job on ``ledger`` and the views of ``views``, each at its interval."""
    if notify is None:
        notify = notifier(settings, ledger, clock)
    context = Context(ledger, lambda: views.reading(VIEW_TABLES), notify)
    every = timedelta(seconds=settings.scheduler_interval_seconds)
    planned = [
        Planned(SlaJob(context, settings.sla_warning_working_hours), every),
        Planned(CnilJob(context, settings.cnil_warning_hours), every),
        Planned(MandateJob(context, settings.mandate_notice_days), every),
        Planned(RetentionJob(context), every),
        Planned(ComplaintJob(context), every),
        Planned(VisitTokenJob(context), max(every, timedelta(hours=6))),
    ]
    planned.append(Planned(IntegrityJob(partial(check_integrity, settings)), timedelta(hours=1)))
    identity = f"{socket.gethostname()}:{os.getpid()}"
    return Scheduler(
        planned, leader_lock(settings), views, clock, identity, stopping=context.stopping
    )
