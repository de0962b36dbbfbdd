"""Who causes an event: a token name and its role, never a citizen."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidInput


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a token name (never a citizen) and its role."""

    name: str
    role: str

    def __post_init__(self) -> None:
        if not self.name or not self.role:
            raise InvalidInput("actor name and role are required", field="actor")


SYSTEM = Actor(name="ledger-scheduler", role="system")
