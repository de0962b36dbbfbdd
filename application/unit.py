"""What every command does with the store: load one aggregate, save what it decided, once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import RecordConflictError

from application.ports import NO_EXTRAS, Committer, EnvelopeKeys, SaveExtras
from domain.aggregate import LedgerAggregate
from domain.errors import NotFound, VersionConflict
from domain.policy import Policy

A = TypeVar("A", bound=LedgerAggregate)


class Unit:
    """The Ledger's access to its store, shared by the command modules (each holds one)."""

    def __init__(
        self,
        repository: Repository[UUID],
        committer: Committer,
        save_alone: Callable[[LedgerAggregate], object],
        keys: EnvelopeKeys,
        policy: Policy,
    ) -> None:
        self.repository = repository
        self.committer = committer
        self._save_alone = save_alone
        self.keys = keys
        self.policy = policy

    def load(self, cls: type[A], target: UUID | A, expected_version: int | None = None) -> A:
        """The aggregate of that type, or ``NotFound`` (an id of another type is not found).

        Given the instance a caller has just read (to check what it may see), the command
        starts from it instead of reading the store again; the caller must not use it after.
        """
        aggregate: object = target
        if isinstance(target, UUID):
            try:
                aggregate = self.repository.get(target)
            except AggregateNotFoundError:
                raise NotFound(f"no such {cls.__name__.lower()}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no such {cls.__name__.lower()}")
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict("the resource changed since it was read")
        return aggregate

    def load_many(self, cls: type[A], ids: Sequence[UUID]) -> list[A]:
        """Several aggregates in the order asked, with one read of their events and one of
        their envelopes' keys (a page that shows many cases); ``NotFound`` if one is not there."""
        if not ids:
            return []
        event_store = self.repository.event_store
        stored = event_store.recorder.select_events_of(ids)  # type: ignore[attr-defined]
        events_of: dict[UUID, list[object]] = {}
        for event in event_store.mapper.to_domain_events(stored):  # type: ignore[attr-defined]
            events_of.setdefault(event.originator_id, []).append(event)
        found = []
        for aggregate_id in ids:
            aggregate: object = None
            for event in events_of.get(aggregate_id, ()):  # the library's projector, without
                aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]  # its protocol check
            if not isinstance(aggregate, cls):
                raise NotFound(f"no such {cls.__name__.lower()}")
            found.append(aggregate)
        return found

    def save(self, *aggregates: LedgerAggregate, extras: SaveExtras = NO_EXTRAS) -> None:
        """One atomic append, committed together with the concurrent commands of this process;
        a concurrent writer of the same aggregate makes it a ``VersionConflict``."""
        try:
            self.committer.save(aggregates, extras)
        except RecordConflictError:
            raise VersionConflict("the resource changed while the command ran") from None

    def save_new(self, aggregate: LedgerAggregate) -> bool:
        """Saves an aggregate whose id is derived from what it is; ``False`` if it exists."""
        try:
            self._save_alone(aggregate)
        except RecordConflictError:
            return False
        return True

    def save_opening(
        self,
        aggregate: LedgerAggregate,
        envelope_id: UUID,
        subject: str | None,
        extras: SaveExtras = NO_EXTRAS,
    ) -> None:
        """Saves the first events of an envelope together with its new key."""
        self.keys.prepare_key(envelope_id, aggregate.id, subject)
        try:
            self.save(aggregate, extras=extras + SaveExtras(new_envelopes=(envelope_id,)))
        finally:
            self.keys.discard_pending(envelope_id)

    def update(
        self,
        cls: type[A],
        target: UUID | A,
        decide: Callable[[A], object],
        expected_version: int | None = None,
    ) -> A:
        """Load, let the aggregate decide, save what it decided (if anything)."""
        aggregate = self.load(cls, target, expected_version)
        decide(aggregate)
        if aggregate.pending_events:
            self.save(aggregate)
        return aggregate
