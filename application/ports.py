"""What the application needs from the store, declared here and provided by ``store``.

The composition root builds the store's parts and hands them to ``Ledger``; nothing here
imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, Mapper


@dataclass(frozen=True)
class SaveExtras:
    """What a save carries besides events, written by the recorder in the same transaction:
    the keys born with their envelope's first events (prepared with ``prepare_key``), the
    visit tokens of the quarterly count, and the keys destroyed with their event."""

    new_envelopes: tuple[UUID, ...] = ()
    visit_tokens: tuple[tuple[bytes, str], ...] = ()
    destroy_envelopes: tuple[UUID, ...] = ()

    def __add__(self, other: SaveExtras) -> SaveExtras:
        return SaveExtras(
            self.new_envelopes + other.new_envelopes,
            self.visit_tokens + other.visit_tokens,
            self.destroy_envelopes + other.destroy_envelopes,
        )


NO_EXTRAS = SaveExtras()


class EnvelopeKeys(Protocol):
    """The key vault: one key per personal-data envelope, born and destroyed atomically with
    its events (``SaveExtras.new_envelopes`` and ``destroy_envelopes``)."""

    def prepare_key(self, envelope_id: UUID, owner_id: UUID, subject: str | None = None) -> None:
        """A new key, usable for sealing now, stored with the next save that names it; the
        subject (a normalised identity) is kept only as a keyed hash, beside the key."""

    def discard_pending(self, envelope_id: UUID) -> None: ...

    def visit_token(self, subject: str, structure_id: UUID, quarter: str) -> tuple[bytes, bool]:
        """The person's token at a structure for a quarter, and whether it was seen before."""

    def envelopes_of(self, subject: str) -> list[UUID]: ...

    def same_subject(self, first: UUID, second: UUID) -> bool:
        """Whether two live envelopes hold the data of one person (by their keyed hashes)."""

    def owner_of(self, envelope_id: UUID) -> UUID | None: ...

    def scrub(self) -> bool:
        """Rewrites away what the store keeps of deleted keys; ``True`` once nothing is
        pending (an older reader may defer it to a later scrub)."""

    def purge_visit_tokens(self, before_quarter: str) -> int:
        """Deletes the visit tokens of quarters before ``before_quarter`` (``2026-Q3``)."""


class LogPositions(Protocol):
    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        """Version -> position in the notification log, for one aggregate (its history)."""


class Committer(Protocol):
    """Commits one command's events (and extras) in one transaction, possibly together with
    the concurrent commands of the process; raises what its own save raised."""

    def save(self, aggregates: Sequence[Any], extras: SaveExtras) -> None: ...


SaveEvents = Callable[..., object]


@dataclass(frozen=True)
class StoreParts:
    """The event store as the composition root opened it: eventsourcing's factory, mapper and
    recorder, the key vault and log positions (the recorder provides both), and how commits
    are batched (given the application's own ``save``)."""

    factory: InfrastructureFactory[Any]
    mapper: Mapper[UUID]
    recorder: ApplicationRecorder
    keys: EnvelopeKeys
    positions: LogPositions
    committer: Callable[[SaveEvents], Committer]

    def close(self) -> None:
        """Closes the database connections (a ``Ledger`` on these parts closes them too)."""
        self.factory.close()
