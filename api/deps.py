"""What route handlers receive: the ledger, the views, the clock and the authenticated caller.

Dependencies that do no I/O are ``async``: FastAPI runs a sync dependency in the thread pool,
and each hop costs more than the dependency itself. The token lookup reads the database, so it
stays sync (off the event loop), like the route handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Caller, Role, TokenStore
from api.problems import ApiError, forbidden, unauthorized
from domain.access import Purpose
from domain.application import Ledger
from domain.errors import NotFound
from projections import ALL
from projections.db import ViewDb
from projections.runner import ProjectionRunner

VIEW_TABLES = {table: table for projection in ALL for table in projection.tables}


@dataclass
class Services:
    """Everything the lifespan opens; tests build it with their own clock."""

    ledger: Ledger
    views: ViewDb
    tokens: TokenStore
    runner: ProjectionRunner
    clock: Callable[[], datetime]
    open_views: Callable[[], ViewDb]

    def reading(self) -> Any:
        return self.views.reading(VIEW_TABLES)


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


async def ledger(found: ServicesDep) -> Ledger:
    return found.ledger


async def now(found: ServicesDep) -> datetime:
    return found.clock()


BEARER = HTTPBearer(auto_error=False, description="a token from `ledger token create`")


def caller(
    request: Request,
    found: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Caller:
    if credentials is None or not credentials.credentials.strip():
        raise unauthorized()
    authenticated = found.tokens.authenticate(credentials.credentials.strip())
    if authenticated is None:
        raise unauthorized()
    request.state.actor = authenticated.name
    return authenticated


LedgerDep = Annotated[Ledger, Depends(ledger)]
NowDep = Annotated[datetime, Depends(now)]
CallerDep = Annotated[Caller, Depends(caller)]


def allow(found: Caller, roles: Iterable[Role]) -> Caller:
    """403 for a role that may never call this endpoint."""
    if found.role not in roles:
        raise forbidden()
    return found


def roles(*allowed: Role) -> Any:
    """A dependency: the authenticated caller, if their role may call the endpoint."""

    async def check(found: CallerDep) -> Caller:
        return allow(found, allowed)

    return Depends(check)


CASE_WORK = (Role.ADVISER, Role.SUPERVISOR)
Adviser = Annotated[Caller, roles(*CASE_WORK)]
Supervisor = Annotated[Caller, roles(Role.SUPERVISOR)]
Dpo = Annotated[Caller, roles(Role.DPO)]
Admin = Annotated[Caller, roles(Role.ADMIN)]
AnyRole = Annotated[Caller, roles(*Role)]
SupervisorOrDpo = Annotated[Caller, roles(Role.SUPERVISOR, Role.DPO)]
CaseReader = Annotated[Caller, roles(*CASE_WORK, Role.DPO)]


def reading_for(found: Caller, purpose: Purpose) -> None:
    """DPOs do no case work: they read a case only to answer an access request (GDPR 15)."""
    if found.role == Role.DPO and purpose != Purpose.SUBJECT_ACCESS_REQUEST:
        raise ApiError(
            403, "forbidden", "a DPO reads a case only with purpose=subject_access_request"
        )


def in_scope(found: Caller, structure_id: UUID, what: str) -> None:
    """Another structure's resource does not exist for a scoped caller (404)."""
    if not found.sees(structure_id):
        raise NotFound(f"no such {what}")


def parse_id(value: str, what: str) -> UUID:
    """Ids are opaque: one that is not even well formed names nothing (404)."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no such {what}") from None


def if_match(value: str | None) -> int | None:
    """``If-Match: "3"`` (or ``W/"3"``) -> 3; absent -> None."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ApiError(422, "invalid_input", "If-Match must be an ETag of this API", "If-Match")
    return int(text)


IfMatch = Annotated[str | None, Header(alias="If-Match")]
