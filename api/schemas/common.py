"""Shared field types and the base of request bodies (unknown fields refused)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from domain.validation import FIRST_YEAR, LAST_YEAR

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]

Code = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$"),
    Field(description="a code: lowercase letters, digits, _ . - (never free text)"),
]

Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]

HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

Labels = Annotated[list[Label], Field(min_length=1, max_length=50)]

_ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
)


def _iso_text(value: object) -> object:
    """An instant is ISO 8601 text with its offset: never a number of seconds, never bare."""
    if isinstance(value, datetime):  # already parsed (Python callers, query defaults)
        return value
    if not isinstance(value, str) or not _ISO_INSTANT.match(value):
        raise ValueError(
            "an instant is ISO 8601 text with its offset, such as 2026-11-23T10:00:00+01:00"
        )
    return value


def _plausible(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"an instant lies between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(_plausible),
    Field(description="ISO 8601 with an offset, e.g. 2026-11-23T10:00:00+01:00"),
]


class Problem(BaseModel):
    """Every refusal (RFC 9457): ``code`` for machines, ``field`` for bad input, and when a body
    has several problems, ``errors`` with each one."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    errors: list[dict[str, str | None]] | None = None


class In(BaseModel):
    """Bodies refuse unknown fields: a typo is named, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Person(BaseModel):
    """A person's identity: sealed in the ledger, never in a view or a log."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Annotated[str, StringConstraints(max_length=500)]]

    first_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
