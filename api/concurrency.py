"""Optimistic concurrency over HTTP: ``ETag`` is the aggregate version, ``If-Match`` expects it.

With ``If-Match``, a stale version is 412 and nothing is retried (the caller decides). Without
it, a command that lost a race with another writer is run once more on the fresh state; a
second loss is 409 ``version_conflict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Response

from api.deps import if_match
from api.problems import ApiError
from domain.errors import VersionConflict

T = TypeVar("T")


def execute(command: Callable[[int | None], T], header: str | None) -> T:
    expected = if_match(header)
    try:
        return command(expected)
    except VersionConflict as conflict:
        if conflict.code != VersionConflict.code:
            raise
        if expected is not None:
            raise ApiError(
                412, "precondition_failed", "the resource changed since this ETag was read"
            ) from None
    return command(None)


def tag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
