"""The adviser's pages: the worklist, a request (answer, escalate, act on behalf, resolve), a
person's cases and mandates, signing and revoking a mandate. Every read of a person's data is
recorded like the API's; every command is the Ledger's, under the API's role x structure rule."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.french import message
from api.console.web import Adviser, Console, Refused, check_csrf, fresh, page
from api.deps import in_scope, parse_id
from api.history import history_of
from application.authorization import Role
from domain.access import Purpose
from domain.errors import LedgerError
from domain.mandate import Mandate
from domain.personal_data import normalized_identity, validate_person
from domain.referent import Referent
from domain.request import Request as Case
from domain.sla_state import sla_state
from domain.structure import Structure, structure_uuid
from domain.vocabulary import Channel, Mission, Partner
from projections import sla_queries
from projections.db import hex_id
from projections.referents import serving

router = APIRouter(prefix="/console", include_in_schema=False)
Field = Annotated[str, Form()]
PAGE = 50


def problems_of(error: LedgerError) -> list[dict[str, str | None]]:
    """Every problem of a refused form, in French (the field named, never its value)."""
    found = error.errors or [error]
    return [{"field": e.field, "text": message(e.code)} for e in found]


def form_instant(value: str, tz: Any) -> datetime | None:
    """A date and time typed in a form (``2026-11-30T14:00``), in the structure's zone."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _parsed(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def structure_of(console: Console, code: str | None) -> Structure:
    """The structure asked for, if the caller works there; the caller's first otherwise."""
    chosen = code or sorted(console.caller.structures)[0]
    in_scope(console.call, structure_uuid(chosen), "structure")
    structure: Structure = console.call.ledger.structures.get(chosen)
    return structure


def load_case(console: Console, request_id: str) -> Case:
    case = console.call.ledger.requests.get(parse_id(request_id, "request"))
    in_scope(console.call, case.structure_id, "request")
    return case


def shown(console: Console, owner: Case | Mandate, endpoint: str) -> None:
    """A person's data on screen is a read of personal data: recorded, as the API does."""
    if owner.user if isinstance(owner, Case) else owner.mandant:
        console.call.ledger.personal_data.record_access(
            owner,
            endpoint=endpoint,
            purpose=Purpose.CASE_HANDLING,
            actor=console.call.actor,
            now=console.call.now,
        )


@router.get("/demandes")
def worklist(request: Request, console: Adviser, structure: str | None = None) -> Response:
    chosen = structure_of(console, structure)
    call = console.call
    fresh(console, "sla")
    with call.services.reading() as tx:
        rows = sla_queries.worklist(tx, chosen.id.hex, call.now, limit=PAGE)
    cases = call.ledger.requests.get_many([UUID(row["request_id"]) for row in rows])
    call.ledger.personal_data.record_accesses(  # every name on the page is a read
        [case for case in cases if case.user],
        endpoint="GET /console/demandes",
        purpose=Purpose.CASE_HANDLING,
        actor=call.actor,
        now=call.now,
    )
    shown_rows = []
    for row, case in zip(rows, cases, strict=True):
        due = _parsed(row["due_at"])
        shown_rows.append(
            row
            | {
                "id": case.id.hex,
                "user": case.user,
                "received": _parsed(row["received_at"]),
                "left": (due - call.now) if due and row["status"] == "open" else None,
                "due": due,
            }
        )
    return page(
        request,
        "demandes.html",
        console,
        structure=chosen,
        rows=shown_rows,
        structures=sorted(console.caller.structures),
    )


@router.get("/demandes/nouvelle")
def new_case_form(request: Request, console: Adviser) -> Response:
    return _new_case(request, console, {}, [])


def _new_case(
    request: Request,
    console: Console,
    values: dict[str, str],
    problems: list[Any],
    status: int = 200,
) -> Response:
    return page(
        request,
        "nouvelle_demande.html",
        console,
        status,
        values=values,
        problems=problems,
        structures=sorted(console.caller.structures),
        channels=list(Channel),
        partners=list(Partner),
        missions=list(Mission),
    )


@router.post("/demandes/nouvelle")
def open_case(
    request: Request,
    console: Adviser,
    csrf: Field = "",
    structure: Field = "",
    channel: Field = "",
    partner: Field = "",
    mission: Field = "",
    theme: Field = "",
    received_at: Field = "",
    first_name: Field = "",
    last_name: Field = "",
    birth_date: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(console, csrf)
    values = {k: v for k, v in locals().items() if isinstance(v, str) and k != "csrf"}
    chosen = structure_of(console, structure)
    user = {"first_name": first_name, "last_name": last_name}
    if birth_date:
        user["birth_date"] = birth_date
    try:
        received = form_instant(received_at, chosen.calendar.tz) or console.call.now
    except ValueError:
        problem = {"field": "received_at", "text": message("invalid_input")}
        return _new_case(request, console, values, [problem], 422)
    try:
        case = console.call.ledger.requests.open_request(
            structure_code=chosen.code,
            channel=channel,
            partner=partner,
            mission=mission,
            theme=theme,
            received_at=received,
            user=user,
            actor=console.call.actor,
            now=console.call.now,
        )
    except LedgerError as error:
        return _new_case(request, console, values, problems_of(error), 422)
    return RedirectResponse(f"/console/demandes/{case.id.hex}?cree=1", status_code=303)


@router.get("/demandes/{request_id}")
def case_page(
    request: Request, console: Adviser, request_id: str, au: str | None = None
) -> Response:
    return _case(request, console, load_case(console, request_id), au=au)


def _case(
    request: Request,
    console: Console,
    case: Case,
    *,
    au: str | None = None,
    problems: list[Any] | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    call = console.call
    structure: Structure = call.ledger.repository.get(case.structure_id)
    as_of = call.now
    if au:
        try:
            day = datetime.fromisoformat(au).date()
        except ValueError:
            raise Refused(422, "invalid_input") from None
        as_of = min(call.now, datetime.combine(day, datetime.max.time(), structure.calendar.tz))
    history = history_of(call.ledger, case, as_of)
    shown(console, case, "GET /console/demandes/{id}")
    state = sla_state(case.due_at, case.first_response_at, call.now, structure.calendar)
    mandates = covering_mandates(console, case) if case.user else []
    # the referents are shown (and their reads recorded) only where the adviser may transmit
    transmits = console.caller.role == Role.ADVISER and case.user and not case.is_resolved
    referents = partner_referents(console, structure) if transmits else []
    return page(
        request,
        "demande.html",
        console,
        status,
        case=case,
        structure=structure,
        tz=structure.calendar.tz,
        state=state.value if state else None,
        left=(case.due_at - call.now) if case.due_at and case.first_response_at is None else None,
        history=history,
        as_of=as_of if au else None,
        au=au or "",
        mandates=mandates,
        referents=referents,
        problems=problems or [],
        partners=list(Partner),
        notice=notice or ("Demande enregistrée." if request.query_params.get("cree") else None),
    )


def partner_referents(console: Console, structure: Structure) -> list[Referent]:
    """The structure's active referents, to name the one an escalation goes to (Art. 5.2.1);
    their details on screen are a recorded read."""
    call = console.call
    with call.services.reading() as tx:
        ids = serving(tx, hex_id(structure.id) or "")
    found = [r for r in call.ledger.referents.get_many([UUID(i) for i in ids]) if r.active]
    call.ledger.personal_data.record_accesses(
        found,
        endpoint="GET /console/demandes/{id}",
        purpose=Purpose.CASE_HANDLING,
        actor=call.actor,
        now=call.now,
    )
    return found


def covering_mandates(console: Console, case: Case) -> list[Mandate]:
    """The person's live mandates at this structure (keyed subject lookup, no name compared)."""
    ledger = console.call.ledger
    assert case.user is not None
    found = []
    for envelope in ledger.keys.envelopes_of(
        normalized_identity(validate_person(case.user, "user"))
    ):
        owner = ledger.personal_data.owner_of(envelope)
        if (
            isinstance(owner, Mandate)
            and owner.structure_id == case.structure_id
            and owner.status(console.call.now) == "active"
        ):
            found.append(owner)
    return found


def _command(request: Request, console: Console, request_id: str, run: Any, done: str) -> Response:
    case = load_case(console, request_id)
    try:
        run(case)
    except LedgerError as error:
        fresh = load_case(console, request_id)
        status = 409 if error.code not in ("invalid_input",) else 422
        return _case(request, console, fresh, problems=problems_of(error), status=status)
    return RedirectResponse(f"/console/demandes/{case.id.hex}?fait={done}", status_code=303)


@router.post("/demandes/{request_id}/reponse")
def respond(
    request: Request, console: Adviser, request_id: str, csrf: Field = "", summary: Field = ""
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    return _command(
        request,
        console,
        request_id,
        lambda case: call.ledger.requests.respond(
            case, at=call.now, summary=summary, actor=call.actor, now=call.now
        ),
        "reponse",
    )


@router.post("/demandes/{request_id}/escalade")
def escalate(
    request: Request,
    console: Adviser,
    request_id: str,
    csrf: Field = "",
    partner: Field = "",
    reason: Field = "",
    referent: Field = "",
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    return _command(
        request,
        console,
        request_id,
        lambda case: call.ledger.requests.escalate(
            case,
            partner=partner,
            reason=reason,
            referent_id=referent or None,
            at=call.now,
            actor=call.actor,
            now=call.now,
        ),
        "escalade",
    )


@router.post("/demandes/{request_id}/cloture")
def resolve(
    request: Request, console: Adviser, request_id: str, csrf: Field = "", outcome: Field = ""
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    return _command(
        request,
        console,
        request_id,
        lambda case: call.ledger.requests.resolve(
            case, outcome=outcome, at=call.now, actor=call.actor, now=call.now
        ),
        "cloture",
    )


@router.post("/demandes/{request_id}/action")
def act_on_behalf(
    request: Request,
    console: Adviser,
    request_id: str,
    csrf: Field = "",
    mandate: Field = "",
    partner: Field = "",
    scope: Field = "",
    procedure: Field = "",
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    try:
        mandate_id: UUID | None = UUID(mandate) if mandate else None
    except ValueError:
        mandate_id = None
    return _command(
        request,
        console,
        request_id,
        lambda case: call.ledger.requests.act_on_behalf(
            case,
            mandate_id=mandate_id,
            partner=partner,
            scope=scope,
            procedure=procedure,
            at=call.now,
            actor=call.actor,
            now=call.now,
        ),
        "action",
    )


@router.get("/personnes")
def person_form(request: Request, console: Adviser) -> Response:
    return page(request, "personnes.html", console, values={}, results=None)


@router.post("/personnes")
def find_person(
    request: Request,
    console: Adviser,
    csrf: Field = "",
    first_name: Field = "",
    last_name: Field = "",
    birth_date: Annotated[str, Form()] = "",
) -> Response:
    """By POST: a name never goes in a URL. Only the caller's structures are searched."""
    check_csrf(console, csrf)
    person = {"first_name": first_name, "last_name": last_name}
    if birth_date:
        person["birth_date"] = birth_date
    ledger = console.call.ledger
    try:
        subject = normalized_identity(validate_person(person, "person"))
    except LedgerError as error:
        return page(
            request,
            "personnes.html",
            console,
            422,
            values=person,
            results=None,
            problems=problems_of(error),
        )
    owners = [
        owner
        for owner in ledger.personal_data.owners_of_subject(subject)
        if console.caller.sees(owner.structure_id) and isinstance(owner, Case | Mandate)
    ]
    ledger.personal_data.record_accesses(  # every person shown is a read, one save for all
        owners,
        endpoint="POST /console/personnes",
        purpose=Purpose.CASE_HANDLING,
        actor=console.call.actor,
        now=console.call.now,
    )
    cases = [owner for owner in owners if isinstance(owner, Case)]
    mandates = [owner for owner in owners if isinstance(owner, Mandate)]
    return page(
        request,
        "personnes.html",
        console,
        values=person,
        results={"cases": cases, "mandates": mandates},
    )


@router.get("/mandats/nouveau")
def mandate_form(request: Request, console: Adviser) -> Response:
    return _mandate_form(request, console, {}, [])


def _mandate_form(
    request: Request,
    console: Console,
    values: dict[str, Any],
    problems: list[Any],
    status: int = 200,
) -> Response:
    now = console.call.now
    return page(
        request,
        "nouveau_mandat.html",
        console,
        status,
        values={"valid_until": (now + timedelta(days=180)).date().isoformat()} | values,
        problems=problems,
        partners=list(Partner),
        structures=sorted(console.caller.structures),
    )


@router.post("/mandats/nouveau")
async def sign_mandate(request: Request, console: Adviser) -> Response:
    """Art. 4.6's preconditions, each named when missing, all at once."""
    form = await request.form()
    values = {key: str(value) for key, value in form.items()}
    check_csrf(console, values.get("csrf", ""))
    chosen = structure_of(console, values.get("structure"))
    tz = chosen.calendar.tz
    scopes = [
        {"partner": partner.value, "kinds": form.getlist(f"scope_{partner.value}")}
        for partner in Partner
        if form.getlist(f"scope_{partner.value}")
    ]
    mandant = {"first_name": values.get("first_name", ""), "last_name": values.get("last_name", "")}
    if values.get("birth_date"):
        mandant["birth_date"] = values["birth_date"]
    verified = values.get("identity_checked") == "on"
    until = values.get("valid_until", "")

    preconditions: dict[str, Any] = {
        "mandant": mandant,
        "identity_verification": (
            {"document_type": values.get("document_type", ""), "verified_at": console.call.now}
            if verified
            else {}
        ),
        "information_notice_version": (
            values.get("notice_version", "") if values.get("notice_given") == "on" else ""
        ),
        "scopes": scopes,
        "valid_until": None,
        "originals": int(values["originals"]) if values.get("originals", "").isdigit() else None,
        "signed_document_sha256": values.get("document_sha256") or None,
        "signed_on_site": values.get("signed_on_site") == "on" or None,
    }

    try:
        preconditions["valid_until"] = _end_of(until, tz) if until else None
    except ValueError:
        problem = {"field": "valid_until", "text": message("invalid_input")}
        return await run_in_threadpool(
            _mandate_form, request, console, values | {"scopes": scopes}, [problem], 422
        )

    def sign() -> Mandate:
        return console.call.ledger.mandates.sign_mandate(
            structure_code=chosen.code,
            **preconditions,
            actor=console.call.actor,
            now=console.call.now,
        )

    try:
        mandate = await run_in_threadpool(sign)
    except LedgerError as error:
        return await run_in_threadpool(
            _mandate_form, request, console, values | {"scopes": scopes}, problems_of(error), 422
        )
    return RedirectResponse(f"/console/mandats/{mandate.id.hex}?signe=1", status_code=303)


def _end_of(day: str, tz: Any) -> datetime:
    """The last second of a day typed in a form, in the structure's zone."""
    return datetime.combine(datetime.fromisoformat(day).date(), time(23, 59, 59), tz)


@router.get("/mandats/{mandate_id}")
def mandate_page(request: Request, console: Adviser, mandate_id: str) -> Response:
    return _mandate(request, console, _load_mandate(console, mandate_id))


def _load_mandate(console: Console, mandate_id: str) -> Mandate:
    mandate = console.call.ledger.mandates.get(parse_id(mandate_id, "mandate"))
    in_scope(console.call, mandate.structure_id, "mandate")
    return mandate


def _mandate(
    request: Request,
    console: Console,
    mandate: Mandate,
    problems: list[Any] | None = None,
    status: int = 200,
) -> Response:
    structure: Structure = console.call.ledger.repository.get(mandate.structure_id)
    shown(console, mandate, "GET /console/mandats/{id}")
    return page(
        request,
        "mandat.html",
        console,
        status,
        mandate=mandate,
        structure=structure,
        tz=structure.calendar.tz,
        state=mandate.status(console.call.now),
        problems=problems or [],
        notice="Mandat enregistré." if request.query_params.get("signe") else None,
    )


@router.post("/mandats/{mandate_id}/revocation")
def revoke(
    request: Request,
    console: Adviser,
    mandate_id: str,
    csrf: Field = "",
    requested_by: Field = "",
    channel: Field = "",
    reason: Field = "",
) -> Response:
    check_csrf(console, csrf)
    mandate = _load_mandate(console, mandate_id)
    call = console.call
    try:
        call.ledger.mandates.revoke_mandate(
            mandate,
            at=call.now,
            requested_by=requested_by,
            channel=channel,
            reason=reason,
            actor=call.actor,
            now=call.now,
        )
    except LedgerError as error:
        return _mandate(
            request, console, _load_mandate(console, mandate_id), problems_of(error), 409
        )
    return RedirectResponse(f"/console/mandats/{mandate.id.hex}", status_code=303)
