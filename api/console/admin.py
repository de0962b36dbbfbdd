"""The administrator's pages: structures with their timetable's conformity, and tokens (a new
one is shown once; revoking takes effect on the next call and ends its console sessions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console.cases import Field
from api.console.web import Admin, check_csrf, page
from application.authorization import Role
from domain.structure import Structure

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/structures")
def structures(request: Request, console: Admin) -> Response:
    call = console.call
    with call.services.reading() as tx:
        codes = [row[0] for row in tx.all("SELECT code FROM {structures} ORDER BY code")]
    found: list[tuple[Structure, object]] = []
    for code in codes:
        structure: Structure = call.ledger.structures.get(code)
        found.append((structure, structure.conformity(call.now)))
    return page(request, "structures.html", console, structures=found)


@router.get("/jetons")
def tokens(request: Request, console: Admin) -> Response:
    return _tokens(request, console)


def _tokens(
    request: Request, console: Admin, created: str | None = None, problem: str | None = None
) -> Response:
    listing = console.call.services.tokens.listing()  # type: ignore[attr-defined]
    return page(
        request,
        "jetons.html",
        console,
        tokens=listing,
        created=created,
        problem=problem,
        roles=list(Role),
    )


@router.post("/jetons")
def create_token(
    request: Request,
    console: Admin,
    csrf: Field = "",
    name: Field = "",
    role: Field = "",
    structures: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "365",
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    codes = [code.strip() for code in structures.split(",") if code.strip()]
    try:
        token = call.services.tokens.create(  # type: ignore[attr-defined]
            name, role, codes, call.now, timedelta(days=int(days) if days.isdigit() else 365)
        )
    except ValueError as error:
        return _tokens(request, console, problem=str(error))
    return _tokens(request, console, created=token)


@router.post("/jetons/revocation")
def revoke_token(request: Request, console: Admin, csrf: Field = "", name: Field = "") -> Response:
    check_csrf(console, csrf)
    console.call.services.tokens.revoke(name, console.call.now)  # type: ignore[attr-defined]
    return _tokens(request, console)
