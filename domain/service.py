"""The base of the Ledger service layer: loading, saving, and the key vault it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, RecordConflictError
from eventsourcing.utils import EnvType

from domain.common import ActorAsDict, LedgerAggregate
from domain.errors import NotFound, VersionConflict
from domain.group_commit import GroupCommit
from domain.policy import Policy

A = TypeVar("A", bound=LedgerAggregate)


@runtime_checkable
class EnvelopeKeys(Protocol):
    """What the Ledger needs from the store's key vault (the recorder provides it).

    Keys are born and destroyed atomically with their events:
    ``save(..., new_envelopes=[id])`` and ``save(..., destroy_envelopes=[id])``.
    """

    def prepare_key(self, envelope_id: UUID, owner_id: UUID, subject: str | None = None) -> None:
        """A new key, usable for sealing now, stored with the next save that names it; the
        subject (a normalised identity) is kept only as a keyed hash, beside the key."""

    def discard_pending(self, envelope_id: UUID) -> None: ...

    def visit_token(self, subject: str, structure_id: UUID, quarter: str) -> tuple[bytes, bool]:
        """The person's token at a structure for a quarter, and whether it was seen before."""

    def envelopes_of(self, subject: str) -> list[UUID]: ...

    def owner_of(self, envelope_id: UUID) -> UUID | None: ...

    def scrub(self) -> None: ...


class LedgerBase(Application[UUID]):
    name = "Ledger"

    def __init__(self, env: EnvType | None = None, *, policy: Policy | None = None) -> None:
        super().__init__(env)
        self.policy = policy or Policy()
        if not getattr(self.mapper, "seals_personal_data", False):
            raise TypeError("the Ledger needs a mapper that seals personal fields (runtime.store)")
        if not isinstance(self.recorder, EnvelopeKeys):
            raise TypeError(
                "the Ledger needs a recorder with an envelope key vault (runtime.store)"
            )
        self.keys: EnvelopeKeys = self.recorder
        self.group_commit = GroupCommit(self.save)
        self._held: ContextVar[LedgerAggregate | None] = ContextVar("held", default=None)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())

    @contextmanager
    def reusing(self, aggregate: LedgerAggregate) -> Iterator[None]:
        """Within the block, the next load of this aggregate takes the instance the caller has
        just read (to check what it may see) instead of reading the store again. Once only: a
        command retried after a lost race reads the store. The instance must not be used again
        by the caller: the command may change it."""
        held = self._held.set(aggregate)
        try:
            yield
        finally:
            self._held.reset(held)

    def _load(self, cls: type[A], aggregate_id: UUID, expected_version: int | None = None) -> A:
        """The aggregate of that type, or ``NotFound`` (an id of another type is not found)."""
        aggregate: object
        held = self._held.get()
        if held is not None and held.id == aggregate_id:
            self._held.set(None)
            aggregate = held
        else:
            try:
                aggregate = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                raise NotFound(f"no such {cls.__name__.lower()}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no such {cls.__name__.lower()}")
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict("the resource changed since it was read")
        return aggregate

    def _save(self, *aggregates: LedgerAggregate, **kwargs: Any) -> None:
        """One atomic append, committed together with the concurrent commands of this process;
        a concurrent writer of the same aggregate makes it a ``VersionConflict``."""
        try:
            self.group_commit.save(aggregates, kwargs)
        except RecordConflictError:
            raise VersionConflict("the resource changed while the command ran") from None

    def _save_opening(
        self, aggregate: LedgerAggregate, envelope_id: UUID, subject: str, **kwargs: Any
    ) -> None:
        """Saves the first events of an envelope together with its new key."""
        self.keys.prepare_key(envelope_id, aggregate.id, subject)
        try:
            self._save(aggregate, new_envelopes=[envelope_id], **kwargs)
        finally:
            self.keys.discard_pending(envelope_id)

    def _update(
        self,
        cls: type[A],
        aggregate_id: UUID,
        decide: Callable[[A], object],
        expected_version: int | None = None,
    ) -> A:
        """Load, let the aggregate decide, save what it decided (if anything)."""
        aggregate = self._load(cls, aggregate_id, expected_version)
        decide(aggregate)
        if aggregate.pending_events:
            self._save(aggregate)
        return aggregate
