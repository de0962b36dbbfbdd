"""The administrator's pages: structures with their timetable's conformity, a timetable change
announced in advance (Art. 4.2), and tokens (a new one is shown once; revoking takes effect on
the next call and ends its console sessions)."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.console.cases import Field, problems_of
from api.console.french import message
from api.console.web import Admin, Refused, check_csrf, fresh, page
from application.authorization import Role
from domain.errors import LedgerError, NotFound
from domain.structure import Structure, conformity_of, validate_timetable

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
TIME = r"(\d{1,2})\s*[:h]\s*(\d{2})?"
SLOT = re.compile(rf"^\s*{TIME}\s*(?:-|\u2013|à)\s*{TIME}\s*$")

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/structures")
def structures(request: Request, console: Admin) -> Response:
    call = console.call
    fresh(console, "structures")
    with call.services.reading() as tx:
        codes = [row[0] for row in tx.all("SELECT code FROM {structures} ORDER BY code")]
    found = [
        (structure, structure.conformity(call.now))
        for structure in call.ledger.structures.get_many(codes)
    ]
    notice = "Horaires enregistrés." if request.query_params.get("horaires") else None
    return page(request, "structures.html", console, structures=found, notice=notice)


def day_slots(text: str, weekday: int) -> list[dict[str, Any]]:
    """One day's slots as typed (``09:00-12:00, 13:30-17:00``, ``9h-12h``; empty: closed)."""
    slots = []
    for part in filter(str.strip, text.split(",")):
        found = SLOT.match(part)
        if not found:
            raise ValueError(part)
        h1, m1, h2, m2 = found.groups()
        if int(h1) > 23 or int(h2) > 23 or int(m1 or 0) > 59 or int(m2 or 0) > 59:
            raise ValueError(part)
        opens, closes = f"{int(h1):02d}:{m1 or '00'}", f"{int(h2):02d}:{m2 or '00'}"
        slots.append({"weekday": weekday, "opens": opens, "closes": closes})
    return slots


def typed(timetable: list[dict[str, Any]]) -> dict[str, str]:
    """A timetable as the form shows it: one text per weekday."""
    return {
        name: ", ".join(f"{s['opens']}-{s['closes']}" for s in timetable if s["weekday"] == day)
        for day, name in enumerate(WEEKDAYS, start=1)
    }


def _structure(console: Admin, code: str) -> Structure:
    try:
        found: Structure = console.call.ledger.structures.get(code)
    except NotFound:
        raise Refused(404, "not_found") from None
    return found


@router.get("/structures/{code}/horaires")
def timetable_form(request: Request, console: Admin, code: str) -> Response:
    structure = _structure(console, code)
    now = console.call.now
    tables = [structure.timetable_at(now)] + [t for _, t in structure.announced_after(now)]
    values = typed(tables[-1])  # the latest announced, to start from
    values["effective_from"] = now.astimezone(structure.calendar.tz).date().isoformat()
    return _timetable(request, console, structure, values, [])


def _timetable(
    request: Request,
    console: Admin,
    structure: Structure,
    values: dict[str, str],
    problems: list[Any],
    status: int = 200,
    entered: list[dict[str, Any]] | None = None,
) -> Response:
    now = console.call.now
    announced = [
        (start, table, conformity_of(table)) for start, table in structure.announced_after(now)
    ]
    return page(
        request,
        "horaires.html",
        console,
        status,
        structure=structure,
        conformity=structure.conformity(now),
        announced=announced,
        entered=None if entered is None else conformity_of(entered),
        values=values,
        problems=problems,
        weekdays=WEEKDAYS,
    )


@router.post("/structures/{code}/horaires")
async def change_timetable(request: Request, console: Admin, code: str) -> Response:
    """The new timetable takes effect at the start of the chosen day in the structure's time
    zone, or now when that day is today (Art. 4.2: announced, never backdated)."""
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if key != "csrf"}
    check_csrf(console, str(form.get("csrf", "")))
    structure = _structure(console, code)
    call = console.call
    problems: list[dict[str, str | None]] = []
    timetable: list[dict[str, Any]] = []
    for day, name in enumerate(WEEKDAYS, start=1):
        try:
            timetable += day_slots(values.get(name, ""), day)
        except ValueError:
            problems.append({"field": name, "text": message("timetable_format")})
    tz = structure.calendar.tz
    try:
        chosen = datetime.fromisoformat(values.get("effective_from", "")).date()
        start = datetime.combine(chosen, time(0), tzinfo=tz)
        effective = call.now if chosen == call.now.astimezone(tz).date() else start
    except ValueError:
        problems.append({"field": "effective_from", "text": message("invalid_input")})
    if not problems:
        try:
            validate_timetable(timetable)
        except LedgerError:
            problems.append({"field": "timetable", "text": message("timetable_overlap")})
    if problems:
        return _timetable(request, console, structure, values, problems, 422)
    try:
        call.ledger.structures.change_timetable(
            structure.code, timetable, effective, actor=call.actor, now=call.now
        )
    except LedgerError as error:
        return _timetable(request, console, structure, values, problems_of(error), 422, timetable)
    return RedirectResponse("/console/structures?horaires=1", status_code=303)


@router.get("/jetons")
def tokens(request: Request, console: Admin) -> Response:
    return _tokens(request, console)


def _tokens(
    request: Request, console: Admin, created: str | None = None, problem: str | None = None
) -> Response:
    listing = [
        row | {"structures": ", ".join(json.loads(row["structures"])) or "toutes"}
        for row in console.call.services.tokens.listing()  # type: ignore[attr-defined]
    ]
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
