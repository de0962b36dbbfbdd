"""Optimistic concurrency over HTTP: ``ETag`` is the aggregate version, ``If-Match`` expects it.

With ``If-Match``, a stale version is 412 and nothing is retried (the caller decides). Without
it, a command that lost a race with another writer is run once more on the fresh state; a
second loss is 409 ``version_conflict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from fastapi import Response
from pydantic import BaseModel

from api.deps import Call, if_match
from api.problems import ApiError
from domain.aggregate import LedgerAggregate
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


def command(
    method: Callable[..., T],
    target: UUID | LedgerAggregate,
    body: BaseModel,
    call: Call,
    if_match: str | None,
    **overrides: Any,
) -> T:
    """One Ledger command on one aggregate: the body's fields as arguments, the caller as actor,
    the version from ``If-Match`` (see ``execute``). Given the aggregate the route has just read
    to check the caller's scope, the first try starts from it instead of reading it again; a
    retry after a lost race reads the store (the command may have changed the instance)."""
    fields = body.model_dump() | overrides
    aggregate_id = target if isinstance(target, UUID) else target.id
    tries: list[UUID | LedgerAggregate] = [aggregate_id, target]

    def run(version: int | None) -> T:
        return method(
            tries.pop(), **fields, actor=call.actor, now=call.now, expected_version=version
        )

    return execute(run, if_match)
