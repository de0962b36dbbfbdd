"""Bearer tokens and the caller they name: role and structures, checked on every call.

A token is printed once at creation and only its SHA-256 is stored (tokens are 256 random
bits, so a plain hash is enough: nothing to guess). Revocation takes effect on the next call.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from application.authorization import Caller, Role

TOKEN_PREFIX = "fsl_"  # noqa: S105 - a marker, not a secret
TOKENS_DDL = (
    "CREATE TABLE IF NOT EXISTS api_tokens (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "role TEXT NOT NULL, structures TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
)


class TokenError(ValueError):
    pass


class Statements(Protocol):
    def one(
        self, statement: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, ...] | None: ...

    def run(self, statement: str, params: Mapping[str, Any] | None = None) -> None: ...


class SqlDatabase(Protocol):
    """The view database (``projections.db.ViewDb``), where the token table lives beside the
    views: tokens are not events."""

    def transaction(self) -> AbstractContextManager[Statements]: ...

    def query(
        self, statement: str, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]: ...


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: SqlDatabase) -> None:
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
                    "at": _iso(now),
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
                {"n": name, "at": _iso(now)},
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
