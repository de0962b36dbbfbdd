"""What a projection is: its tables (DDL) and one handler per event type it cares about."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from projections.db import Tx
from projections.stored import State

Handler = Callable[[Tx, Any, Notification], None]
Item = tuple[Any, Notification]
BatchHandler = Callable[[Tx, Sequence[Item]], None]


@dataclass
class Projection:
    """``tables`` maps a logical table name to its column list; ``indexes`` to index columns.

    Handlers are keyed by event class qualname (``Request.Opened``); other events are ignored,
    but still advance the view's position. A view may instead take a whole batch at once
    (``batch``), to read what it needs in one query rather than one per event. A view that
    reads only the stored bytes sets ``decodes = False`` (each item's event is ``None``); one
    that builds its rows from the stored values sets ``parses = True`` instead (each item's
    event is its parsed stored state: ``projections.stored``). ``topics`` (empty: every event)
    lets the runner skip, without reading them, the events the view never handles.
    """

    name: str
    version: int
    tables: dict[str, str]
    indexes: dict[str, list[str]] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)
    batch: BatchHandler | None = None
    decodes: bool = True
    parses: bool = False
    topics: set[str] = field(default_factory=set)

    def on(self, *event_classes: type) -> Callable[[Handler], Handler]:
        """Registers a handler for these event classes; the view then reads only their topics."""

        def register(handler: Handler) -> Handler:
            for cls in event_classes:
                self.handlers[cls.__qualname__] = handler
                self.topics.add(get_topic(cls))
            return handler

        return register

    def handle(self, tx: Tx, event: Any, notification: Notification) -> None:
        handler = self.handlers.get(type(event).__qualname__)
        if handler is not None:
            handler(tx, event, notification)

    def apply(self, tx: Tx, items: Sequence[Item]) -> None:
        if self.batch is not None:
            self.batch(tx, items)
            return
        for event, notification in items:
            self.handle(tx, event, notification)

    def create_statements(self, names: dict[str, str], generation: str) -> list[str]:
        return self.table_statements(names) + self.index_statements(names, generation)

    def batched(
        self,
        make_batch: Callable[[Tx, Sequence[Item]], Any],
        handlers: dict[type, Callable[[Any, State], None]],
    ) -> None:
        """Views that keep a batch's state in memory and build it from stored values
        (``parses``): ``make_batch`` builds it (reading what the batch needs once), each handler
        updates it from one event's stored state, and its ``flush()`` writes it once."""
        by_topic = {get_topic(cls): handler for cls, handler in handlers.items()}

        def apply(tx: Tx, items: Sequence[Item]) -> None:
            batch = make_batch(tx, items)
            for state, notification in items:
                handler = by_topic.get(notification.topic)
                if handler is not None:
                    handler(batch, state)
            batch.flush()

        self.batch = apply
        self.topics = set(by_topic)
        self.decodes, self.parses = False, True

    def table_statements(self, names: dict[str, str]) -> list[str]:
        return [f"CREATE TABLE {names[t]} ({columns})" for t, columns in self.tables.items()]

    def index_statements(self, names: dict[str, str], generation: str) -> list[str]:
        """Secondary indexes; a rebuild creates them once, after the bulk of its rows. An index
        given as ``"columns WHERE condition"`` is partial (both backends)."""
        statements = []
        for table, index_list in self.indexes.items():
            for i, spec in enumerate(index_list):
                columns, _, condition = spec.partition(" WHERE ")
                where = f" WHERE {condition}" if condition else ""
                statements.append(
                    f"CREATE INDEX {names[table]}_{generation}_{i} ON {names[table]} ({columns})"
                    + where
                )
        return statements
