"""Opens the event store from an eventsourcing environment: the datastore (eventsourcing's
factory), our recorder with its key vault, and the sealing mapper reading keys from it."""

from __future__ import annotations

from collections.abc import Callable

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    InfrastructureFactory,
    JSONTranscoder,
    UUIDAsHex,
)
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from application.ports import StoreParts
from store.group_commit import GroupCommit
from store.postgres import PostgresLedgerRecorder
from store.sealing import SealingMapper
from store.sqlite import SQLiteLedgerRecorder
from store.transcodings import ActorAsDict, FastJSONTranscoder
from store.wrapping import MasterKeys

Recorder = SQLiteLedgerRecorder | PostgresLedgerRecorder
APPLICATION_NAME = "Ledger"  # PostgreSQL names the events table after it: ledger_events


def transcoder(*, library: bool = False) -> JSONTranscoder:
    """eventsourcing's JSON format (UUIDs, decimals, datetimes) and our ``Actor``, read by
    ``FastJSONTranscoder`` (``library=True``: by the library's own transcoder, the benches'
    reference)."""
    found = JSONTranscoder() if library else FastJSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), ActorAsDict()):
        found.register(transcoding)
    return found


def open_store(
    env: dict[str, str],
    *,
    subject_key: bytes | None,
    master: Callable[[], MasterKeys],
    create_schema: bool = False,
) -> StoreParts:
    """The store's parts for a ``Ledger`` (``subject_key`` for a writer) or a reader (``None``:
    it reads keys but hashes no identity); ``master`` gives, when first needed, the master
    key that wraps and unwraps the envelope keys.
    ``create_schema`` runs the DDL (``ledger migrate``)."""
    factory = InfrastructureFactory.construct(Environment(APPLICATION_NAME, env))
    recorder: Recorder
    if isinstance(factory, SQLiteFactory):
        recorder = SQLiteLedgerRecorder(factory.datastore, subject_key=subject_key, master=master)
    elif isinstance(factory, PostgresFactory):
        recorder = PostgresLedgerRecorder(
            factory.datastore,
            subject_key=subject_key,
            master=master,
            events_table_name=f"{APPLICATION_NAME.lower()}_events",
        )
    else:
        raise ValueError(f"no ledger recorder for {type(factory).__name__}")
    if create_schema:
        recorder.create_table()
    mapper = SealingMapper(transcoder(), keys=recorder)
    return StoreParts(
        factory=factory,
        mapper=mapper,
        recorder=recorder,
        keys=recorder,
        positions=recorder,
        committer=GroupCommit,
    )


def redacting_mapper(store: StoreParts) -> SealingMapper:
    """A mapper of the same store that holds no key: every sealed field comes back ``None``."""
    return SealingMapper(store.mapper.transcoder, keys=None)
