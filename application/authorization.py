"""Who calls, and the one rule of what they may see: a role, and for advisers and supervisors
the structures they work in. Entry points authenticate; this decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.actor import Actor
from domain.structure import structure_uuid


class Role(StrEnum):
    ADVISER = "adviser"
    SUPERVISOR = "supervisor"
    DPO = "dpo"
    ADMIN = "admin"

    @property
    def scoped(self) -> bool:
        """Advisers and supervisors work in their own structures only."""
        return self in (Role.ADVISER, Role.SUPERVISOR)


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role
    structures: frozenset[str]

    @property
    def actor(self) -> Actor:
        return Actor(name=self.name, role=self.role.value)

    def sees(self, structure_id: UUID) -> bool:
        """Whether a resource of this structure exists for this caller."""
        return not self.role.scoped or structure_id in {structure_uuid(s) for s in self.structures}


class TokenExpired(Exception):
    """The token was valid and is no more: its holder needs a new one."""


class Tokens(Protocol):
    """Bearer tokens, as the entry points need them (``store.tokens`` provides them)."""

    def authenticate(self, token: str, now: datetime) -> Caller | None:
        """The caller a live token names, ``None`` for an unknown or revoked one; raises
        ``TokenExpired`` for an expired one."""

    def open_session(self, token: str, now: datetime) -> tuple[str, Caller] | None:
        """A console session for a live token: (session id, its caller)."""

    def session(self, session: str, now: datetime, idle: timedelta) -> tuple[Caller, str] | None:
        """The caller and CSRF secret of a live session, ``None`` once ended or idle."""

    def close_session(self, session: str) -> None: ...
