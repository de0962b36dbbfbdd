"""Bearer tokens and the caller they name: role and structures, checked on every call.

A token is printed once at creation and only its SHA-256 is stored (tokens are 256 random
bits, so a plain hash is enough: nothing to guess). Revocation takes effect on the next call.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.common import Actor
from domain.structure import structure_uuid
from projections.db import ViewDb, iso

TOKEN_PREFIX = "fsl_"  # noqa: S105 - a marker, not a secret
TOKENS_DDL = (
    "CREATE TABLE IF NOT EXISTS api_tokens (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "role TEXT NOT NULL, structures TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
)


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


class TokenError(ValueError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: ViewDb) -> None:
        self.db = db

    def migrate(self) -> None:
        with self.db.transaction() as tx:
            tx.run(TOKENS_DDL)

    def create(self, name: str, role: str, structures: list[str], now: datetime) -> str:
        """A new token, returned once. Scoped roles need at least one structure; others none."""
        parsed = Role(role) if role in Role.__members__.values() else None
        if parsed is None:
            raise TokenError(f"role must be one of {', '.join(Role)}")
        if not name.strip():
            raise TokenError("a token needs a name")
        if parsed.scoped and not structures:
            raise TokenError(f"{parsed} tokens need at least one --structure")
        if not parsed.scoped and structures:
            raise TokenError(f"{parsed} tokens cover every structure: no --structure")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            if tx.one(
                "SELECT 1 FROM api_tokens WHERE name = :n AND revoked_at IS NULL", {"n": name}
            ):
                raise TokenError(f"an active token is already named {name}")
            tx.run(
                "INSERT INTO api_tokens VALUES (:h, :n, :r, :s, :at, NULL)",
                {
                    "h": _hash(token),
                    "n": name,
                    "r": parsed.value,
                    "s": json.dumps(sorted(set(structures))),
                    "at": iso(now),
                },
            )
        return token

    def revoke(self, name: str, now: datetime) -> int:
        """Revokes the active tokens of that name; returns how many."""
        with self.db.transaction() as tx:
            count = tx.one(
                "SELECT COUNT(*) FROM api_tokens WHERE name = :n AND revoked_at IS NULL",
                {"n": name},
            )
            tx.run(
                "UPDATE api_tokens SET revoked_at = :at WHERE name = :n AND revoked_at IS NULL",
                {"n": name, "at": iso(now)},
            )
        return int(count[0]) if count else 0

    def authenticate(self, token: str) -> Caller | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        rows = self.db.query(
            "SELECT name, role, structures FROM api_tokens "
            "WHERE token_hash = :h AND revoked_at IS NULL",
            {"h": _hash(token)},
        )
        row = rows[0] if rows else None
        if row is None:
            return None
        return Caller(str(row[0]), Role(row[1]), frozenset(json.loads(row[2])))
