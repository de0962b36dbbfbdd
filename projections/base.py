"""What a projection is: its tables (DDL) and one handler per event type it cares about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification

from projections.db import Tx

Handler = Callable[[Tx, Any, Notification], None]


@dataclass
class Projection:
    """``tables`` maps a logical table name to its column list; ``indexes`` to index columns.

    Handlers are keyed by event class qualname (``Request.Opened``); other events are ignored,
    but still advance the view's position.
    """

    name: str
    version: int
    tables: dict[str, str]
    indexes: dict[str, list[str]] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)
    every_event: Handler | None = None

    def on(self, *qualnames: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for qualname in qualnames:
                self.handlers[qualname] = handler
            return handler

        return register

    def handle(self, tx: Tx, event: Any, notification: Notification) -> None:
        handler = self.handlers.get(type(event).__qualname__, self.every_event)
        if handler is not None:
            handler(tx, event, notification)

    def create_statements(self, names: dict[str, str], generation: str) -> list[str]:
        statements = [f"CREATE TABLE {names[t]} ({columns})" for t, columns in self.tables.items()]
        for table, index_list in self.indexes.items():
            for i, columns in enumerate(index_list):
                statements.append(
                    f"CREATE INDEX {names[table]}_{generation}_{i} ON {names[table]} ({columns})"
                )
        return statements
