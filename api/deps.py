"""What route handlers receive: one ``Call`` (the authenticated caller, the ledger, the views
and the clock) from a dependency that also checks the role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiError, forbidden, unauthorized
from application.authorization import Caller, Role, TokenExpired, Tokens
from application.ledger import Ledger
from domain.access import Purpose
from domain.actor import Actor
from domain.errors import NotFound
from projections import VIEW_TABLES
from projections.db import ViewDb
from projections.runner import ProjectionRunner


@dataclass
class Services:
    """Everything the lifespan opens (built by the composition root from the settings)."""

    ledger: Ledger
    views: ViewDb
    tokens: Tokens
    runner: ProjectionRunner
    clock: Callable[[], datetime]
    open_views: Callable[[], ViewDb]
    backend: str
    last_tick: Callable[[], datetime | None]
    tick_every: timedelta
    started_at: datetime
    integrity: Callable[[], dict[str, Any] | None]  # the scheduler's last chain check

    def scheduler_late(self, now: datetime) -> bool:
        """No scheduler tick for two intervals (counted from start-up when none ever came)."""
        last = self.last_tick()
        return now - max(last or self.started_at, self.started_at) > 2 * self.tick_every

    def reading(self) -> Any:
        return self.views.reading(VIEW_TABLES)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


@dataclass(frozen=True)
class Call:
    """One authenticated call: who calls, and what they call with (the ledger, the views,
    the clock read once at the start of the call)."""

    caller: Caller
    services: Services
    now: datetime

    @property
    def ledger(self) -> Ledger:
        return self.services.ledger

    @property
    def actor(self) -> Actor:
        return self.caller.actor


BEARER = HTTPBearer(auto_error=False, description="a token from `ledger token create`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Call:
    """401 without a valid token; the token's name goes to the request's log line."""
    found, now = services(request), services(request).clock()
    token = credentials.credentials.strip() if credentials is not None else ""
    try:
        caller = found.tokens.authenticate(token, now) if token else None
    except TokenExpired:
        raise ApiError(401, "token_expired", "this token expired: ask for a new one") from None
    if caller is None:
        raise unauthorized()
    request.state.actor = caller.name
    return Call(caller, found, now)


def allowed(*roles: Role) -> Any:
    """A dependency: the authenticated call, if its role may call the endpoint (else 403).
    One sync dependency per request (the token lookup reads the database, off the event loop):
    each dependency FastAPI resolves in the thread pool costs a thread hop."""

    def resolve(request: Request, credentials: Credentials) -> Call:
        call = authenticate(request, credentials)
        if call.caller.role not in roles:
            raise forbidden()
        refuse_unknown_query(request)
        return call

    return Depends(resolve)


CASE_WORK = (Role.ADVISER, Role.SUPERVISOR)
Adviser = Annotated[Call, allowed(*CASE_WORK)]
Supervisor = Annotated[Call, allowed(Role.SUPERVISOR)]
Dpo = Annotated[Call, allowed(Role.DPO)]
Admin = Annotated[Call, allowed(Role.ADMIN)]
AnyRole = Annotated[Call, allowed(*Role)]
SupervisorOrDpo = Annotated[Call, allowed(Role.SUPERVISOR, Role.DPO)]
CaseReader = Annotated[Call, allowed(*CASE_WORK, Role.DPO)]
ReportReader = Annotated[Call, allowed(Role.SUPERVISOR, Role.DPO, Role.ADMIN)]


async def _services(request: Request) -> Services:
    return services(request)


ServicesDep = Annotated[Services, Depends(_services)]


def reading_for(call: Call, purpose: Purpose) -> None:
    """DPOs do no case work: they read a case only to answer an access request (GDPR 15), and
    answering an access request is the DPO's alone."""
    is_dpo, access_request = call.caller.role == Role.DPO, purpose == Purpose.SUBJECT_ACCESS_REQUEST
    if is_dpo and not access_request:
        raise ApiError(
            403, "forbidden", "a DPO reads a case only with purpose=subject_access_request"
        )
    if access_request and not is_dpo:
        raise ApiError(403, "forbidden", "purpose=subject_access_request is the DPO's")


def in_scope(call: Call, structure_id: UUID, what: str) -> None:
    """Another structure's resource does not exist for a scoped caller (404)."""
    if not call.caller.sees(structure_id):
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


def refuse_unknown_query(request: Request) -> None:
    """A query parameter the route does not know is named (422), as bodies refuse unknown
    fields: a misspelt filter must not silently widen an answer."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known: set[str] = set()
    pending = [dependant]
    while pending:  # the route's own query parameters and its dependencies'
        current = pending.pop()
        known |= {param.alias for param in current.query_params}
        pending += current.dependencies
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ApiError(422, "invalid_input", f"{unknown[0]}: unknown query parameter", unknown[0])
