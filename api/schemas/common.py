"""Shared field types and the base of request bodies (unknown fields refused)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class In(BaseModel):
    """Bodies refuse unknown fields: a typo is named, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Person(BaseModel):
    """A person's identity: sealed in the ledger, never in a view or a log."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Annotated[str, StringConstraints(max_length=500)]]

    first_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
