"""Checks of input values: each raises ``InvalidInput`` naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(f"{field} must be one of: {allowed}", field=field) from None


# The ledger's instants lie in this century; a client's clock may run a few minutes ahead.
FIRST_YEAR, LAST_YEAR = 2000, 2099
CLOCK_SKEW = timedelta(minutes=5)


def require_aware(value: datetime, field: str) -> datetime:
    """The instant in UTC: instants enter the domain normalised, so that elapsed time is real
    time (``+ timedelta(hours=72)`` on a Paris wall clock would give 71 or 73 hours across a
    clock change). Local time is the calendar's business (``domain.working_time``)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} must be an instant with a time-zone offset", field=field)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput(
            f"{field} must lie between the years {FIRST_YEAR} and {LAST_YEAR}", field=field
        )
    return value.astimezone(UTC)


def require_not_after(value: datetime, now: datetime, field: str) -> datetime:
    """An instant already past (a few minutes of clock skew allowed)."""
    instant = require_aware(value, field)
    if instant > now + CLOCK_SKEW:
        raise InvalidInput(f"{field} cannot be in the future", field=field)
    return instant


_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def require_code(value: str, field: str) -> str:
    """A short code (``rsa``, ``caf_online_return``): never free text that could name a person."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise InvalidInput(f"{field} is a code: lowercase letters, digits, _ . -", field=field)
    return value


def require_text(value: str, field: str, max_length: int = 2000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return value
