"""Bearer tokens and the caller they name: role and structures, checked on every call.

A token is printed once at creation and only its SHA-256 is stored (tokens are 256 random
bits, so a plain hash is enough: nothing to guess). Revocation takes effect on the next call; a
token expires (365 days by default); its last use is noted (at most once an hour, so that calls
do not write).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from application.authorization import Caller, Role, TokenExpired

TOKEN_PREFIX = "fsl_"  # noqa: S105 - a marker, not a secret
TOKENS_DDL = (
    "CREATE TABLE IF NOT EXISTS api_tokens (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "role TEXT NOT NULL, structures TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
)
# Console sessions (``/console``): a random id in an HttpOnly cookie names the token it was
# opened with; the token's revocation or expiry ends the session at once.
SESSIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS console_sessions (session_hash TEXT PRIMARY KEY, "
    "token_hash TEXT NOT NULL, csrf TEXT NOT NULL, created_at TEXT NOT NULL, "
    "last_seen_at TEXT NOT NULL)"
)
NOTE_SEEN_EVERY = timedelta(minutes=1)
# Columns added after the first release: ``migrate`` adds them to an older table.
LATER_COLUMNS = {"expires_at": "TEXT", "last_used_at": "TEXT"}
DEFAULT_LIFETIME = timedelta(days=365)
NOTE_USE_EVERY = timedelta(hours=1)
LISTED = ("name", "role", "structures", "created_at", "expires_at", "last_used_at", "revoked_at")


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

    backend: str

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
            tx.run(SESSIONS_DDL)
        present = {row[0] for row in self._columns()}
        with self.db.transaction() as tx:
            for column, kind in LATER_COLUMNS.items():
                if column not in present:
                    tx.run(f"ALTER TABLE api_tokens ADD COLUMN {column} {kind}")

    def _columns(self) -> list[tuple[Any, ...]]:
        return self.db.query(
            "SELECT name FROM pragma_table_info('api_tokens')"
            if self.db.backend == "sqlite"
            else "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'api_tokens' AND table_schema = current_schema()"
        )

    def create(
        self,
        name: str,
        role: str,
        structures: list[str],
        now: datetime,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> str:
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
        if lifetime <= timedelta(0):
            raise TokenError("a token lives at least one day")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            if tx.one(
                "SELECT 1 FROM api_tokens WHERE name = :n AND revoked_at IS NULL", {"n": name}
            ):
                raise TokenError(f"an active token is already named {name}")
            tx.run(
                "INSERT INTO api_tokens (token_hash, name, role, structures, created_at, "
                "expires_at) VALUES (:h, :n, :r, :s, :at, :until)",
                {
                    "h": _hash(token),
                    "n": name,
                    "r": parsed.value,
                    "s": json.dumps(sorted(set(structures))),
                    "at": _iso(now),
                    "until": _iso(now + lifetime),
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

    def authenticate(self, token: str, now: datetime) -> Caller | None:
        """The caller a live token names; ``None`` for no such token; ``TokenExpired``."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        hashed = _hash(token)
        rows = self.db.query(
            "SELECT name, role, structures, expires_at, last_used_at FROM api_tokens "
            "WHERE token_hash = :h AND revoked_at IS NULL",
            {"h": hashed},
        )
        row = rows[0] if rows else None
        if row is None:
            return None
        name, role, structures, expires_at, last_used_at = row
        if expires_at is not None and _iso(now) >= expires_at:
            raise TokenExpired(f"the token {name} expired; ask for a new one")
        if last_used_at is None or last_used_at < _iso(now - NOTE_USE_EVERY):
            with self.db.transaction() as tx:
                tx.run(
                    "UPDATE api_tokens SET last_used_at = :at WHERE token_hash = :h",
                    {"h": hashed, "at": _iso(now)},
                )
        return Caller(str(name), Role(role), frozenset(json.loads(structures)))

    def open_session(self, token: str, now: datetime) -> tuple[str, Caller] | None:
        """A console session for a live token: (session id for the cookie, its caller); the
        session's CSRF secret is read with it (``session``). ``None`` for no such token;
        ``TokenExpired`` for an expired one."""
        caller = self.authenticate(token, now)
        if caller is None:
            return None
        session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            tx.run(
                "INSERT INTO console_sessions VALUES (:s, :t, :c, :at, :at)",
                {"s": _hash(session), "t": _hash(token), "c": csrf, "at": _iso(now)},
            )
        return session, caller

    def session(self, session: str, now: datetime, idle: timedelta) -> tuple[Caller, str] | None:
        """The caller and CSRF secret of a live session; ``None`` once it was idle longer than
        ``idle``, closed, or its token revoked or expired (the session is then deleted)."""
        hashed = _hash(session)
        rows = self.db.query(
            "SELECT s.last_seen_at, t.name, t.role, t.structures, t.expires_at, s.csrf "
            "FROM console_sessions s JOIN api_tokens t ON t.token_hash = s.token_hash "
            "WHERE s.session_hash = :s AND t.revoked_at IS NULL",
            {"s": hashed},
        )
        row = rows[0] if rows else None
        live = row is not None and row[0] >= _iso(now - idle)
        if row is None or not live or (row[4] is not None and _iso(now) >= row[4]):
            self.close_session(session)
            return None
        seen, name, role, structures, _, csrf = row
        if seen < _iso(now - NOTE_SEEN_EVERY):
            with self.db.transaction() as tx:
                tx.run(
                    "UPDATE console_sessions SET last_seen_at = :at WHERE session_hash = :s",
                    {"s": hashed, "at": _iso(now)},
                )
        return Caller(str(name), Role(role), frozenset(json.loads(structures))), str(csrf)

    def close_session(self, session: str) -> None:
        with self.db.transaction() as tx:
            tx.run("DELETE FROM console_sessions WHERE session_hash = :s", {"s": _hash(session)})

    def listing(self) -> list[dict[str, Any]]:
        """Every token's name, role, structures and dates: never the token or its hash."""
        rows = self.db.query(
            "SELECT name, role, structures, created_at, expires_at, last_used_at, revoked_at "
            "FROM api_tokens ORDER BY created_at"
        )
        return [dict(zip(LISTED, row, strict=True)) for row in rows]
