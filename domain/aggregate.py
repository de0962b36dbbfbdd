"""The base of our aggregates, and the marker of events that carry personal fields."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actor import Actor


class LedgerAggregate(Aggregate):
    """Base of our aggregates: every event carries the actor; ``timestamp`` is the injected now."""

    class Event(Aggregate.Event):
        actor: Actor

    class Created(Aggregate.Created):
        actor: Actor


class SealedEvent:
    """Mixin for events with personal fields, sealed under the key of ``envelope_id``.

    The mapper encrypts each field named in ``personal_fields``; when the envelope's key is gone
    the mapper yields the event with those fields set to ``None``.
    """

    personal_fields: ClassVar[tuple[str, ...]] = ()
    envelope_id: UUID | None  # None: written before its envelope existed (upcast events)
