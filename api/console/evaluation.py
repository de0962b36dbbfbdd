"""The console's evaluation pages (Art. 4.7): satisfaction questionnaires (an adviser enters a
paper form or hands a one-time link to a user; the user answers it without any account) and the
supervisor's yearly indicators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.console.cases import Field, problems_of, structure_of
from api.console.oversight import bars
from api.console.web import Adviser, Console, Supervisor, check_csrf, fresh, page
from api.scoping import scoped_structure
from domain.errors import LedgerError, NotFound
from domain.satisfaction import CURRENT
from domain.validation import FIRST_YEAR
from domain.vocabulary import Channel
from projections.satisfaction import indicators

router = APIRouter(prefix="/console", include_in_schema=False)
public = APIRouter(include_in_schema=False)
MAX_TOKEN = 64


def _this_year(console: Console) -> int:
    structure = structure_of(console, None)
    return console.call.now.astimezone(structure.calendar.tz).year


def _answers(form: dict[str, Any]) -> dict[str, str]:
    """The questionnaire's radio groups (``q_<question>``) that were answered."""
    return {q.code: str(form[f"q_{q.code}"]) for q in CURRENT.questions if form.get(f"q_{q.code}")}


def _avis(
    request: Request,
    console: Console,
    values: dict[str, Any] | None = None,
    problems: list[Any] | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    year = _this_year(console)
    return page(
        request,
        "avis.html",
        console,
        status,
        values=values or {},
        problems=problems or [],
        notice=notice,
        questionnaire=CURRENT,
        structures=sorted(console.caller.structures),
        channels=list(Channel),
        years=[year, year - 1],
    )


@router.get("/avis")
def satisfaction_forms(
    request: Request, console: Adviser, enregistre: str | None = None
) -> Response:
    notice = "Le questionnaire a été enregistré. Merci." if enregistre else None
    return _avis(request, console, notice=notice)


@router.post("/avis/papier")
async def paper_answer(request: Request, console: Adviser) -> Response:
    form = dict(await request.form())
    check_csrf(console, str(form.get("csrf", "")))
    values = {k: str(v) for k, v in form.items() if k != "csrf"}
    chosen = structure_of(console, values.get("structure") or None)
    year = values.get("year", "")
    try:
        console.call.ledger.satisfaction.record_answer(
            structure_code=chosen.code,
            channel=values.get("channel", ""),
            year=int(year) if year.isdigit() else None,
            answers=_answers(values),
            actor=console.call.actor,
            now=console.call.now,
        )
    except LedgerError as error:
        return _avis(request, console, values, problems_of(error), 422)
    return RedirectResponse("/console/avis?enregistre=1", status_code=303)


@router.post("/avis/liens")
def issue_link(
    request: Request,
    console: Adviser,
    csrf: Field = "",
    structure: Field = "",
    channel: Field = "",
) -> Response:
    """The link is shown on this page only, to print and hand over: it is not kept."""
    check_csrf(console, csrf)
    chosen = structure_of(console, structure or None)
    try:
        token, link = console.call.ledger.satisfaction.issue_link(
            structure_code=chosen.code,
            channel=channel,
            actor=console.call.actor,
            now=console.call.now,
        )
    except LedgerError as error:
        return _avis(request, console, {"channel": channel}, problems_of(error), 422)
    return page(
        request,
        "avis_lien.html",
        console,
        url=str(request.base_url).rstrip("/") + f"/avis/{token}",
        link=link,
        structure=chosen,
        tz=chosen.calendar.tz,
    )


@router.get("/satisfaction")
def satisfaction_indicators(
    request: Request,
    console: Supervisor,
    structure: str | None = None,
    annee: str | None = None,
) -> Response:
    call = console.call
    fresh(console, "satisfaction")
    view_id = scoped_structure(call, structure)
    chosen = structure_of(console, structure)
    this_year = call.now.astimezone(chosen.calendar.tz).year
    asked = int(annee) if annee and annee.isdigit() else this_year
    year = asked if FIRST_YEAR <= asked <= this_year else this_year
    with call.services.reading() as tx:
        found = indicators(tx, view_id, year)
    charts = []
    for question in CURRENT.questions:
        counts = found["questions"].get(question.code, {})
        total = sum(counts.values())
        items = [
            (text, counts.get(code, 0) / total if total else None)
            for code, text in question.options
        ]
        charts.append({"question": question, "total": total, "chart": bars(items)})
    return page(
        request,
        "satisfaction.html",
        console,
        found=found,
        charts=charts,
        structure=chosen,
        structures=sorted(console.caller.structures),
        years=list(range(this_year, this_year - 5, -1)),
        year=year,
    )


# The user's own page: no account, no session; the link is its own secret.


def _link(request: Request, token: str) -> Any:
    services = request.app.state.services
    if len(token) > MAX_TOKEN:
        raise NotFound("no such link")
    try:
        return services.ledger.satisfaction.link(token)
    except NotFound:
        return None


def _questionnaire(request: Request, token: str, status: int = 200, **context: Any) -> Response:
    return page(
        request,
        "avis_usager.html",
        None,
        status,
        questionnaire=CURRENT,
        token=token,
        values=context.pop("values", {}),
        problems=context.pop("problems", []),
        **context,
    )


@public.get("/avis/{token}")
def user_questionnaire(request: Request, token: str) -> Response:
    link = _link(request, token)
    if link is None:
        return _questionnaire(request, token, 404, state="unknown")
    return _questionnaire(request, token, state=link.state(request.app.state.services.clock()))


@public.post("/avis/{token}")
async def user_answer(request: Request, token: str) -> Response:
    services = request.app.state.services
    if _link(request, token) is None:
        return _questionnaire(request, token, 404, state="unknown")
    values = {k: str(v) for k, v in (await request.form()).items()}
    try:
        services.ledger.satisfaction.answer_link(
            token, answers=_answers(values), now=services.clock()
        )
    except LedgerError as error:
        if error.code in ("survey_link_used", "survey_link_expired"):
            state = "used" if error.code == "survey_link_used" else "expired"
            return _questionnaire(request, token, 409, state=state)
        return _questionnaire(
            request, token, 422, state="open", values=values, problems=problems_of(error)
        )
    return _questionnaire(request, token, state="thanks")
