"""The console's evaluation pages (Art. 4.7): satisfaction questionnaires (an adviser enters a
paper form or hands a one-time link to a user; the user answers it without any account) and the
supervisor's yearly indicators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from api.console.cases import (
    Field,
    form_instant,
    partner_referents,
    problems_of,
    structure_of,
)
from api.console.french import label, message
from api.console.oversight import bars
from api.console.web import (
    Admin,
    Adviser,
    Console,
    Refused,
    Supervisor,
    allowed,
    check_csrf,
    fresh,
    page,
)
from api.deps import in_scope, parse_id, services
from api.routers.audits import gathered
from api.routers.referents import ANNEX_6
from api.scoping import scoped_structure
from application.authorization import Role
from domain.access import Purpose
from domain.audit_flash import FlashAudit
from domain.complaint import Complaint, Topic
from domain.errors import LedgerError, NotFound
from domain.satisfaction import CURRENT
from domain.structure import Structure, structure_uuid
from domain.validation import FIRST_YEAR
from domain.vocabulary import Channel, Partner
from projections import audits as flash_audits_view
from projections import complaints as complaints_view
from projections.db import csv_chunks, from_iso, hex_id
from projections.satisfaction import indicators

router = APIRouter(prefix="/console", include_in_schema=False)
public = APIRouter(include_in_schema=False)


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
    found = services(request)
    try:
        link = found.ledger.satisfaction.link(token)
    except NotFound:
        return _questionnaire(request, token, 404, state="unknown")
    return _questionnaire(request, token, state=link.state(found.clock()))


@public.post("/avis/{token}")
async def user_answer(request: Request, token: str) -> Response:
    found = services(request)
    values = {k: str(v) for k, v in (await request.form()).items()}
    try:
        found.ledger.satisfaction.answer_link(token, answers=_answers(values), now=found.clock())
    except NotFound:
        return _questionnaire(request, token, 404, state="unknown")
    except LedgerError as error:
        if error.code in ("survey_link_used", "survey_link_expired"):
            state = "used" if error.code == "survey_link_used" else "expired"
            return _questionnaire(request, token, 409, state=state)
        return _questionnaire(
            request, token, 422, state="open", values=values, problems=problems_of(error)
        )
    return _questionnaire(request, token, state="thanks")


# The complaints register ("cahier de réclamations").


def _load_complaint(console: Console, complaint_id: str) -> Complaint:
    complaint = console.call.ledger.complaints.get(parse_id(complaint_id, "complaint"))
    in_scope(console.call, complaint.structure_id, "complaint")
    return complaint


@router.get("/reclamations")
def complaints_register(
    request: Request, console: Adviser, structure: str | None = None
) -> Response:
    call = console.call
    fresh(console, "complaints")
    chosen = structure_of(console, structure)
    with call.services.reading() as tx:
        rows = complaints_view.register(tx, hex_id(chosen.id) or "", call.now)
    for row in rows:
        due = from_iso(row["answer_due_at"])
        row["left"] = due - call.now if due and row["answered_at"] is None else None
    return page(
        request,
        "reclamations.html",
        console,
        rows=rows,
        structure=chosen,
        structures=sorted(console.caller.structures),
    )


def _new_complaint(
    request: Request,
    console: Console,
    values: dict[str, str],
    problems: list[Any],
    status: int = 200,
) -> Response:
    return page(
        request,
        "nouvelle_reclamation.html",
        console,
        status,
        values=values,
        problems=problems,
        structures=sorted(console.caller.structures),
        channels=list(Channel),
        topics=list(Topic),
    )


@router.get("/reclamations/nouvelle")
def new_complaint_form(request: Request, console: Adviser) -> Response:
    return _new_complaint(request, console, {}, [])


@router.post("/reclamations/nouvelle")
def receive_complaint(
    request: Request,
    console: Adviser,
    csrf: Field = "",
    structure: Field = "",
    channel: Field = "",
    topic: Field = "",
    received_at: Field = "",
    first_name: Field = "",
    last_name: Field = "",
    birth_date: Field = "",
    contact: Field = "",
    text: Field = "",
) -> Response:
    check_csrf(console, csrf)
    values = {k: v for k, v in locals().items() if isinstance(v, str) and k != "csrf"}
    chosen = structure_of(console, structure or None)
    complainant = {"first_name": first_name, "last_name": last_name}
    complainant |= {k: v for k, v in (("birth_date", birth_date), ("contact", contact)) if v}
    try:
        received = form_instant(received_at, chosen.calendar.tz) or console.call.now
    except ValueError:
        problem = {"field": "received_at", "text": message("invalid_input")}
        return _new_complaint(request, console, values, [problem], 422)
    try:
        complaint = console.call.ledger.complaints.receive_complaint(
            structure_code=chosen.code,
            channel=channel,
            topic=topic,
            received_at=received,
            complainant=complainant,
            text=text,
            actor=console.call.actor,
            now=console.call.now,
        )
    except LedgerError as error:
        return _new_complaint(request, console, values, problems_of(error), 422)
    return RedirectResponse(f"/console/reclamations/{complaint.id.hex}", status_code=303)


def _complaint(
    request: Request,
    console: Console,
    complaint: Complaint,
    problems: list[Any] | None = None,
    status: int = 200,
) -> Response:
    if complaint.destroyed_at is None:
        console.call.ledger.personal_data.record_access(
            complaint,
            endpoint="GET /console/reclamations/{id}",
            purpose=Purpose.CASE_HANDLING,
            actor=console.call.actor,
            now=console.call.now,
        )
    structure: Structure = console.call.ledger.repository.get(complaint.structure_id)
    now = console.call.now
    return page(
        request,
        "reclamation.html",
        console,
        status,
        complaint=complaint,
        structure=structure,
        tz=structure.calendar.tz,
        state=complaint.state(now).value,
        left=complaint.answer_due_at - now if complaint.answered_at is None else None,
        problems=problems or [],
    )


@router.get("/reclamations/{complaint_id}")
def complaint_page(request: Request, console: Adviser, complaint_id: str) -> Response:
    return _complaint(request, console, _load_complaint(console, complaint_id))


@router.post("/reclamations/{complaint_id}/reponse")
def answer_complaint(
    request: Request, console: Adviser, complaint_id: str, csrf: Field = "", answer: Field = ""
) -> Response:
    check_csrf(console, csrf)
    complaint = _load_complaint(console, complaint_id)
    try:
        console.call.ledger.complaints.answer_complaint(
            complaint.id,
            at=console.call.now,
            answer=answer,
            actor=console.call.actor,
            now=console.call.now,
        )
    except LedgerError as error:
        if error.code in ("complaint_answered", "personal_data_destroyed"):
            raise Refused(409, error.code) from None
        return _complaint(request, console, complaint, problems_of(error), 422)
    return RedirectResponse(f"/console/reclamations/{complaint.id.hex}", status_code=303)


# Partner referents (Art. 5.2.1): the structure's staff only; never shown to users.


def _referents_page(
    request: Request,
    console: Console,
    structure: str | None,
    values: dict[str, str] | None = None,
    problems: list[Any] | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    call = console.call
    fresh(console, "referents")
    chosen = structure_of(console, structure)
    found = partner_referents(console, chosen)
    return page(
        request,
        "referents.html",
        console,
        status,
        referents=found,
        structure=chosen,
        structures=sorted(console.caller.structures),
        partners=[*Partner, *chosen.local_partners],
        values=values or {},
        problems=problems or [],
        notice=notice,
        supervisor=call.caller.role == Role.SUPERVISOR,
    )


@router.get("/referents")
def referents_page(
    request: Request, console: Adviser, structure: str | None = None, fait: str | None = None
) -> Response:
    notice = {
        "ajout": "Référent enregistré.",
        "depart": "Départ enregistré : coordonnées détruites.",
    }
    return _referents_page(request, console, structure, notice=notice.get(fait or ""))


@router.post("/referents")
def appoint_referent(
    request: Request,
    console: Supervisor,
    csrf: Field = "",
    structure: Field = "",
    partner: Field = "",
    first_name: Field = "",
    last_name: Field = "",
    title: Field = "",
    phone: Field = "",
    email: Field = "",
) -> Response:
    check_csrf(console, csrf)
    values = {k: v for k, v in locals().items() if isinstance(v, str) and k != "csrf"}
    chosen = structure_of(console, structure or None)
    contact = {"first_name": first_name, "last_name": last_name, "phone": phone, "email": email}
    if title:
        contact["title"] = title
    try:
        console.call.ledger.referents.appoint_referent(
            structure_code=chosen.code,
            partner=partner,
            contact=contact,
            actor=console.call.actor,
            now=console.call.now,
        )
    except LedgerError as error:
        return _referents_page(request, console, chosen.code, values, problems_of(error), 422)
    return RedirectResponse(
        f"/console/referents?structure={chosen.code}&fait=ajout", status_code=303
    )


@router.post("/referents/{referent_id}/depart")
def referent_left(
    request: Request, console: Supervisor, referent_id: str, csrf: Field = ""
) -> Response:
    check_csrf(console, csrf)
    referent = console.call.ledger.referents.get(parse_id(referent_id, "referent"))
    in_scope(console.call, referent.structure_id, "referent")
    try:
        console.call.ledger.referents.record_departure(
            referent, actor=console.call.actor, now=console.call.now
        )
    except LedgerError as error:
        raise Refused(409, error.code) from None
    structure: Structure = console.call.ledger.repository.get(referent.structure_id)
    return RedirectResponse(
        f"/console/referents?structure={structure.code}&fait=depart", status_code=303
    )


@router.get("/referents/annexe-6")
def annex_6(request: Request, console: Supervisor, structure: str | None = None) -> Response:
    """Annex 6 of the convention as CSV (the same table as the API's)."""
    chosen = structure_of(console, structure)
    found = partner_referents(console, chosen)
    lines = [["partenaire", "nom", "prénom", "fonction", "téléphone", "courriel"]] + [
        [label("partner", r.partner), *((r.contact or {}).get(f, "") for f in ANNEX_6[1:])]
        for r in found
    ]
    return StreamingResponse(
        csv_chunks(lines),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="annexe-6-referents.csv"'},
    )


# ANCT flash audits: the administrator records them; the structure's supervisor reads them.

AuditReader = Annotated[Console, allowed(Role.ADMIN, Role.SUPERVISOR)]
RESULTS = {
    "met": "conforme",
    "partly_met": "partiellement conforme",
    "not_met": "non conforme",
    "not_applicable": "sans objet",
}


def _n(count: int, one: str, many: str) -> str:
    """A count and its noun, singular up to one (French)."""
    return f"{count} {one if count <= 1 else many}"


def _rate(value: object) -> str:
    return "—" if value is None else f"{round(float(str(value)) * 100)} %"


def evidence_lines(code: str, found: dict[str, Any] | None) -> list[str]:
    """What the ledger showed for a criterion, in French (counts over the twelve months before
    the audit opened)."""
    if not found:
        return []
    e = found
    lines = {
        "opening_hours": lambda: [
            f"{str(e['weekly_hours']).replace('.', ',')} heures par semaine sur "
            f"{e['open_days']} jours : {'conforme' if e['meets_minimum'] else 'non conforme'} "
            "au minimum de 24 heures sur 5 jours"
        ],
        "partners_served": lambda: [
            f"{e['national_partners_served']} partenaire(s) national(aux) sur "
            f"{e['national_partners']} accompagné(s) en 12 mois",
            ", ".join(f"{label('partner', p)} : {n}" for p, n in e["requests_by_partner"].items()),
        ],
        "response_72h": lambda: [
            f"{_n(e['total'], 'demande soumise', 'demandes soumises')} au délai ; "
            f"{_n(e['answered_on_time'], 'réponse', 'réponses')} dans les délais, "
            f"{e['answered_late']} en retard, {e['open_overdue']} sans réponse hors délai ; "
            f"taux : {_rate(e['on_time_rate'])}"
        ],
        "mandates_practice": lambda: [
            f"{_n(e['signed'], 'mandat signé', 'mandats signés')}, {e['revoked']} révoqué(s), "
            f"{e['active']} actif(s) ; "
            f"{_n(e['actions_on_behalf'], 'démarche', 'démarches')} pour le compte d'usagers, "
            "toutes sous mandat"
        ],
        "destructions_on_time": lambda: [
            f"{_n(e['destroyed'], 'destruction', 'destructions')} en 12 mois ; "
            f"{e['overdue_by_more_than_a_day']} en retard de plus d'un jour"
        ],
        "breaches_in_time": lambda: [
            f"Département : {_n(e['declared'], 'violation déclarée', 'violations déclarées')}, "
            f"{e['notified_on_time']} notifiée(s) à temps, {e['notified_late']} en retard, "
            f"{e['overdue']} hors délai"
        ],
        "referents_named": lambda: [
            _n(e["active"], "référent actif", "référents actifs")
            + (
                " ; sans référent : "
                + ", ".join(label("partner", p) for p in e["national_partners_without_referent"])
                if e["national_partners_without_referent"]
                else ""
            )
        ],
        "satisfaction_measured": lambda: [
            f"{_n(e['questionnaires'], 'questionnaire', 'questionnaires')} en {e['year']}, "
            f"{_rate(e['satisfaction_rate'])} de satisfaits ; liens d'avis utilisés : "
            f"{e['links']['answered']} sur {e['links']['issued']}"
        ],
        "complaints_register": lambda: [
            f"{_n(e['received'], 'réclamation', 'réclamations')} ; "
            f"{e['answered_on_time']} répondue(s) dans les délais, {e['answered_late']} en retard, "
            f"{e['unanswered']} sans réponse"
        ],
    }
    return lines[code]() if code in lines else []


@router.get("/audits")
def audits_page(request: Request, console: AuditReader) -> Response:
    call = console.call
    fresh(console, "flash_audits")
    scope = None
    if console.caller.role == Role.SUPERVISOR:
        scope = [structure_uuid(c).hex for c in sorted(console.caller.structures)]
    with call.services.reading() as tx:
        rows = flash_audits_view.listing(tx, scope)
        codes = dict(tx.all("SELECT structure_id, code FROM {structures}"))
    return page(
        request,
        "audits.html",
        console,
        rows=[r | {"code": codes.get(r["structure_id"], "")} for r in rows],
        structures=sorted(codes.values()),
        admin=console.caller.role == Role.ADMIN,
    )


@router.post("/audits")
def open_flash_audit(
    request: Request, console: Admin, csrf: Field = "", structure: Field = ""
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    try:
        chosen = call.ledger.structures.get(structure)
    except LedgerError:
        raise Refused(404, "not_found") from None
    fresh(
        console,
        "sla",
        "mandates",
        "retention",
        "breaches",
        "referents",
        "satisfaction",
        "complaints",
    )
    audit = call.ledger.audits.open_audit(
        structure_code=chosen.code,
        evidence=gathered(call, chosen),
        actor=call.actor,
        now=call.now,
    )
    return RedirectResponse(f"/console/audits/{audit.id.hex}", status_code=303)


def _audit(console: Console, audit_id: str) -> FlashAudit:
    audit = console.call.ledger.audits.get(parse_id(audit_id, "audit"))
    in_scope(console.call, audit.structure_id, "audit")
    return audit


@router.get("/audits/{audit_id}")
def audit_page(request: Request, console: AuditReader, audit_id: str) -> Response:
    audit = _audit(console, audit_id)
    structure: Structure = console.call.ledger.repository.get(audit.structure_id)
    criteria = [
        {
            "criterion": c,
            "evidence": evidence_lines(c.code, audit.evidence.get(c.code)),
            "result": audit.results.get(c.code, {}).get("result"),
            "remark": audit.results.get(c.code, {}).get("remark"),
        }
        for c in audit.criteria
    ]
    return page(
        request,
        "audit_flash.html",
        console,
        audit=audit,
        structure=structure,
        tz=structure.calendar.tz,
        criteria=criteria,
        results=RESULTS,
        admin=console.caller.role == Role.ADMIN,
        notice="Audit enregistré." if request.query_params.get("fait") else None,
    )


@router.post("/audits/{audit_id}")
async def assess_flash_audit(request: Request, console: Admin, audit_id: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(console, form.get("csrf", ""))
    audit = _audit(console, audit_id)
    call = console.call
    try:
        for criterion in audit.criteria:
            result = form.get(f"r_{criterion.code}", "")
            remark = form.get(f"m_{criterion.code}", "").strip() or None
            recorded = audit.results.get(criterion.code, {})
            if result and (result, remark) != (recorded.get("result"), recorded.get("remark")):
                audit = call.ledger.audits.assess_criterion(
                    audit.id,
                    criterion=criterion.code,
                    result=result,
                    remark=remark,
                    actor=call.actor,
                    now=call.now,
                )
        if form.get("clore"):
            call.ledger.audits.close_audit(audit.id, actor=call.actor, now=call.now)
    except LedgerError as error:
        raise Refused(409 if error.code != "invalid_input" else 422, error.code) from None
    return RedirectResponse(f"/console/audits/{audit.id.hex}?fait=1", status_code=303)
