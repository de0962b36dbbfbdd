"""Supervisors' and DPOs' pages: the SLA dashboard with its charts (SVG drawn here, no script),
the quarterly report, alerts, the audit trail, the breach register with each CNIL countdown,
declaring a breach, the destruction queue, integrity, and a person's access export (GDPR 15)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.console.cases import Field, problems_of
from api.console.french import label
from api.console.web import (
    Dpo,
    Refused,
    ReportReader,
    Supervisor,
    SupervisorOrDpo,
    check_csrf,
    fresh,
    page,
)
from api.console.yearly_pdf import (
    BREACH_FIGURES,
    KEY_FIGURES,
    STRUCTURE_COLUMNS,
    number,
    structure_cells,
)
from api.instants import canonical
from api.routers.oversight import yearly_download, yearly_of
from api.scoping import scoped_structure
from domain.access import Purpose
from domain.complaint import Complaint
from domain.errors import LedgerError
from domain.mandate import Mandate
from domain.personal_data import normalized_identity, validate_person
from domain.request import Request as Case
from domain.structure import Structure, structure_uuid
from domain.validation import FIRST_YEAR, LAST_YEAR
from projections import audit, quarterly, retention, sla_queries
from projections.alerts import listing as alert_listing
from projections.breaches import register
from projections.db import csv_chunks

router = APIRouter(prefix="/console", include_in_schema=False)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
WEEKS = 8


def bars(items: list[tuple[str, float | None]], width: int = 420) -> dict[str, Any]:
    """A horizontal bar chart of rates (0..1) as SVG geometry, for the template."""
    row, label_width = 28, 190
    shapes = []
    for i, (name, rate) in enumerate(items):
        length = 0 if rate is None else round((width - label_width - 60) * rate)
        shapes.append(
            {
                "y": i * row,
                "label": name,
                "length": length,
                "x": label_width,
                "text": "—" if rate is None else f"{round(rate * 100)} %",
            }
        )
    return {"width": width, "height": max(row * len(items), row), "bars": shapes}


@router.get("/tableau-de-bord")
def dashboard(request: Request, console: Supervisor, structure: str | None = None) -> Response:
    call = console.call
    fresh(console, "sla")
    view_id = scoped_structure(call, structure)
    code = structure or sorted(console.caller.structures)[0]
    chosen: Structure = call.ledger.structures.get(code)
    with call.services.reading() as tx:
        counts = sla_queries.dashboard(
            tx, start=EPOCH, end=call.now + timedelta(days=1), now=call.now, structure_id=view_id
        )
        weeks = []
        monday = (call.now - timedelta(days=call.now.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        for back in range(WEEKS - 1, -1, -1):
            start = monday - timedelta(weeks=back)
            week = sla_queries.dashboard(
                tx, start=start, end=start + timedelta(weeks=1), now=call.now, structure_id=view_id
            )
            weeks.append((f"semaine du {start:%d/%m}", week["on_time_rate"]))
        overdue = sla_queries.worklist(tx, view_id, call.now, sla_state="overdue", limit=50)
    charts = {
        "partenaire": bars(
            [(label("partner", p["partner"]), p["on_time_rate"]) for p in counts["by_partner"]]
        ),
        "canal": bars(
            [(label("channel", c["channel"]), c["on_time_rate"]) for c in counts["by_channel"]]
        ),
        "semaine": bars(weeks),
    }
    return page(
        request,
        "tableau_de_bord.html",
        console,
        structure=chosen,
        counts=counts,
        charts=charts,
        overdue=overdue,
        tz=chosen.calendar.tz,
        structures=sorted(console.caller.structures),
    )


@router.get("/rapport")
def quarterly_report(
    request: Request, console: Supervisor, trimestre: str | None = None, format: str = "html"
) -> Response:
    call = console.call
    now = call.now
    quarter = trimestre or f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    if not (
        len(quarter) == 7 and quarter[:2] == "20" and quarter[4:6] == "-Q" and quarter[6] in "1234"
    ):
        raise Refused(422, "invalid_input")
    view_id = scoped_structure(call, None)
    code = sorted(console.caller.structures)[0]
    fresh(console, "quarterly", "sla")
    if format == "csv":
        with call.services.reading() as tx:
            lines = list(csv_chunks(quarterly.csv_lines(tx, quarter, view_id)))
        headers = {"Content-Disposition": f'attachment; filename="rapport-{code}-{quarter}.csv"'}
        return Response("".join(lines), media_type="text/csv", headers=headers)
    with call.services.reading() as tx:
        report = quarterly.report(tx, view_id, quarter, now)
    return page(request, "rapport.html", console, report=report, quarter=quarter, code=code)


YEARLY_VIEWS = (
    "structures",
    "quarterly",
    "sla",
    "satisfaction",
    "complaints",
    "flash_audits",
    "retention",
)


@router.get("/rapport-annuel")
def yearly_report(
    request: Request, console: ReportReader, annee: str | None = None, format: str = "html"
) -> Response:
    """The yearly report's figures on screen, and its CSV and PDF for the steering committee."""
    call = console.call
    year = call.now.year if not annee else int(annee) if annee.isdigit() else 0
    if not FIRST_YEAR <= year <= LAST_YEAR or format not in ("html", "csv", "pdf"):
        raise Refused(422, "invalid_input")
    fresh(console, *YEARLY_VIEWS, *(("breaches",) if console.caller.role != "supervisor" else ()))
    report = yearly_of(call, year)
    if format != "html":
        return yearly_download(report, format, call.now)
    departments = [
        {
            "department": d["department"],
            "figures": [(name, show(d["totals"][key])) for name, key, show in KEY_FIGURES],
            "structures": [
                {"name": s["name"], "cells": structure_cells(s)} for s in d["structures"]
            ],
        }
        for d in report["departments"]
    ]
    breaches = report["breaches"]
    return page(
        request,
        "rapport_annuel.html",
        console,
        year=year,
        years=range(call.now.year, call.now.year - 5, -1),
        columns=[name for name, _, _ in STRUCTURE_COLUMNS],
        departments=departments,
        breaches=None
        if breaches is None
        else [(name, number(breaches[key])) for name, key in BREACH_FIGURES],
    )


@router.get("/alertes")
def alerts(request: Request, console: SupervisorOrDpo) -> Response:
    call = console.call
    fresh(console, "alerts")
    scope = None
    if console.caller.role == "supervisor":
        scope = sorted(structure_uuid(s).hex for s in console.caller.structures)
    with call.services.reading() as tx:
        found = alert_listing(tx, None, None, scope)
    return page(request, "alertes.html", console, alerts=found)


@router.post("/alertes/{alert_id}/prise-en-charge")
def acknowledge(
    request: Request, console: SupervisorOrDpo, alert_id: str, csrf: Field = ""
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    try:
        alert = call.ledger.alerts.get(UUID(alert_id))
    except ValueError:
        raise Refused(404, "not_found") from None
    if console.caller.role == "supervisor":
        subject: object = call.ledger.repository.get(alert.subject_id)
        if not isinstance(subject, Case | Mandate | Complaint) or not console.caller.sees(
            subject.structure_id
        ):
            raise Refused(404, "not_found")
    call.ledger.alerts.acknowledge_alert(alert.id, actor=call.actor, now=call.now)
    return RedirectResponse("/console/alertes", status_code=303)


AUDITED_ACTIONS = (
    "Request.Opened",
    "Request.Responded",
    "Request.ActedOnBehalf",
    "Request.Resolved",
    "Request.PersonalDataDestroyed",
    "Mandate.Signed",
    "Mandate.Used",
    "Mandate.Revoked",
    "Mandate.PersonalDataDestroyed",
    "DataAccess.PersonalDataRead",
    "Breach.Declared",
    "Breach.CnilNotified",
)
LEGAL_BASES = {"gdpr-6-1-e": "RGPD 6.1.e (mission de service public)", "gdpr-15": "RGPD 15"}


@router.get("/audit")
def audit_trail(
    request: Request,
    console: Dpo,
    acteur: str | None = None,
    demande: str | None = None,
    enveloppe: str | None = None,
    structure: str | None = None,
    action: str | None = None,
    base: str | None = None,
    du: str | None = None,
    au: str | None = None,
    format: str = "html",
) -> Response:
    """Filters on the references a DPO holds (a request or envelope id, an adviser's token
    name, a structure's code, an action, a legal basis, a period): no personal data in any URL."""
    values = {
        "acteur": acteur or "",
        "demande": demande or "",
        "enveloppe": enveloppe or "",
        "structure": structure or "",
        "action": action or "",
        "base": base or "",
        "du": du or "",
        "au": au or "",
    }
    filters: dict[str, Any] = {
        "actor": acteur or None,
        "request_id": _hex(demande),
        "envelope_id": _hex(enveloppe),
        "structure_id": structure_uuid(structure).hex if structure else None,
        "action": action if action in AUDITED_ACTIONS else None,
        "legal_basis": base if base in LEGAL_BASES else None,
        "start": _day(du),
        "end": _day(au, end=True),
    }
    call = console.call
    fresh(console, "structures", "audit_trail")
    if format == "csv":
        with call.services.reading() as tx:
            body = "".join(csv_chunks(canonical(line) for line in audit.csv_lines(tx, **filters)))
        return Response(
            body,
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="journal-audit.csv"'},
        )
    with call.services.reading() as tx:
        entries = []
        for entry in audit.entries(tx, **filters, page=200):
            entries.append(entry)
            if len(entries) >= 200:
                break
    query = urlencode({k: v for k, v in values.items() if v})
    return page(
        request,
        "audit.html",
        console,
        entries=entries,
        values=values,
        actions=AUDITED_ACTIONS,
        bases=LEGAL_BASES,
        csv_link=f"/console/audit?format=csv{'&' + query if query else ''}",
    )


def _hex(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return UUID(value).hex
    except ValueError:
        raise Refused(422, "invalid_input") from None


def _day(value: str | None, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise Refused(422, "invalid_input") from None
    return day + timedelta(days=1) if end else day


@router.get("/violations")
def breaches(request: Request, console: Dpo) -> Response:
    call = console.call
    fresh(console, "breaches")
    with call.services.reading() as tx:
        rows = register(tx, call.now, None)
    entries = []
    for row in rows:
        breach = call.ledger.breaches.get(UUID(row["id"]))
        entries.append(
            {"row": row, "breach": breach, "left": timedelta(seconds=row["remaining_seconds"])}
        )
    return page(request, "violations.html", console, entries=entries)


@router.get("/violations/nouvelle")
def breach_form(request: Request, console: Dpo) -> Response:
    return page(request, "nouvelle_violation.html", console, values={}, problems=[])


@router.post("/violations/nouvelle")
def declare_breach(
    request: Request,
    console: Dpo,
    csrf: Field = "",
    description: Field = "",
    nature: Field = "",
    data_categories: Field = "",
    approx_subjects: Field = "",
    approx_records: Field = "",
    likely_consequences: Field = "",
    measures: Field = "",
    contact: Field = "",
    aware_at: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    values = {k: v for k, v in locals().items() if isinstance(v, str) and k != "csrf"}
    counts = {"approx_subjects": approx_subjects, "approx_records": approx_records}
    wrong = [
        {"field": name, "text": "Un nombre entier est attendu."}
        for name, value in counts.items()
        if not value.strip().isdigit()
    ]
    if wrong:
        return page(request, "nouvelle_violation.html", console, 422, values=values, problems=wrong)
    try:
        aware = datetime.fromisoformat(aware_at).astimezone(UTC) if aware_at else call.now
        call.ledger.breaches.declare_breach(
            aware_at=aware,
            detected_at=None,
            description=description,
            nature=[nature],
            data_categories=[c.strip() for c in data_categories.split(",") if c.strip()],
            subject_categories=["users"],
            approx_subjects=int(approx_subjects),
            approx_records=int(approx_records),
            likely_consequences=likely_consequences,
            measures=measures,
            contact=contact,
            actor=call.actor,
            now=call.now,
        )
    except LedgerError as error:
        return page(
            request,
            "nouvelle_violation.html",
            console,
            422,
            values=values,
            problems=problems_of(error),
        )
    except ValueError:
        problem = {"field": "aware_at", "text": "Cette valeur n'est pas acceptée."}
        return page(
            request, "nouvelle_violation.html", console, 422, values=values, problems=[problem]
        )
    return RedirectResponse("/console/violations", status_code=303)


@router.get("/destructions")
def destructions(request: Request, console: Dpo) -> Response:
    call = console.call
    fresh(console, "structures", "retention", "audit_trail")
    with call.services.reading() as tx:
        due = retention.due(tx, call.now + timedelta(days=30), 200)
        done = retention.destroyed_since(tx, call.now - timedelta(days=90))
    return page(request, "destructions.html", console, due=due, done=done)


@router.post("/destructions")
def destroy(
    request: Request, console: Dpo, csrf: Field = "", envelope: Field = "", reason: Field = ""
) -> Response:
    check_csrf(console, csrf)
    call = console.call
    try:
        envelope_id = UUID(envelope)
    except ValueError:
        raise Refused(404, "not_found") from None
    try:
        owner = call.ledger.personal_data.destroy_envelope(
            envelope_id, reason=reason, actor=call.actor, now=call.now
        )
    except LedgerError as error:
        raise Refused(409 if error.code != "not_found" else 404, error.code) from None
    target = "/console/destructions"
    if isinstance(owner, Case):
        target = f"/console/acces/demandes/{owner.id.hex}"
    return RedirectResponse(target, status_code=303)


@router.get("/integrite")
def integrity(request: Request, console: Dpo) -> Response:
    call = console.call
    status = next(v for v in call.services.runner.status() if v.view == "integrity")
    checked = call.services.integrity()
    return page(request, "integrite.html", console, view=status, checked=checked)


@router.get("/acces")
def access_form(request: Request, console: Dpo) -> Response:
    return page(request, "acces.html", console, values={}, results=None)


@router.post("/acces")
def access_export(
    request: Request,
    console: Dpo,
    csrf: Field = "",
    first_name: Field = "",
    last_name: Field = "",
    birth_date: Annotated[str, Form()] = "",
    format: Annotated[str, Form()] = "html",
) -> Response:
    """GDPR 15: every case, mandate and complaint of one person, across structures, each read
    recorded with the purpose ``subject_access_request``; as a page or a JSON file to hand
    over."""
    check_csrf(console, csrf)
    call = console.call
    person = {"first_name": first_name, "last_name": last_name}
    if birth_date:
        person["birth_date"] = birth_date
    try:
        subject = normalized_identity(validate_person(person, "person"))
    except LedgerError as error:
        return page(
            request,
            "acces.html",
            console,
            422,
            values=person,
            results=None,
            problems=problems_of(error),
        )
    owners = call.ledger.personal_data.owners_of_subject(subject)
    call.ledger.personal_data.record_accesses(
        owners,
        endpoint="POST /console/acces",
        purpose=Purpose.SUBJECT_ACCESS_REQUEST,
        actor=call.actor,
        now=call.now,
    )
    structures: dict[UUID, Structure] = {}
    for owner in owners:
        if owner.structure_id not in structures:
            structures[owner.structure_id] = call.ledger.repository.get(owner.structure_id)
    found = [_exported(owner, structures[owner.structure_id]) for owner in owners]
    if format == "json":
        body = json.dumps(
            {"personne": person, "dossiers": found}, ensure_ascii=False, indent=1, default=str
        )
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="droit-d-acces.json"'},
        )
    return page(request, "acces.html", console, values=person, results=found)


def _exported(owner: Case | Mandate | Complaint, structure: Structure) -> dict[str, Any]:
    if isinstance(owner, Complaint):
        return {
            "type": "réclamation",
            "id": owner.id.hex,
            "structure": structure.name,
            "reçue_le": owner.received_at,
            "objet": label("topic", owner.topic),
            "auteur": owner.complainant,
            "texte": owner.text,
            "réponse": owner.answer,
            "répondue_le": owner.answered_at,
        }
    if isinstance(owner, Case):
        return {
            "type": "demande",
            "id": owner.id.hex,
            "structure": structure.name,
            "reçue_le": owner.received_at,
            "partenaire": owner.partner,
            "état": owner.status.value,
            "usager": owner.user,
            "réponses": [r.get("summary") for r in owner.responses],
        }
    return {
        "type": "mandat",
        "id": owner.id.hex,
        "structure": structure.name,
        "signé_le": owner.signed_at,
        "jusqu_au": owner.valid_until,
        "mandant": owner.mandant,
        "périmètre": owner.scopes,
    }


@router.get("/acces/demandes/{request_id}")
def destroyed_case(request: Request, console: Dpo, request_id: str) -> Response:
    """A case as the DPO reads it for an access request: after a destruction, what remains."""
    call = console.call
    try:
        case = call.ledger.requests.get(UUID(request_id))
    except ValueError:
        raise Refused(404, "not_found") from None
    if case.user is not None:
        call.ledger.personal_data.record_access(
            case,
            endpoint="GET /console/acces/demandes/{id}",
            purpose=Purpose.SUBJECT_ACCESS_REQUEST,
            actor=call.actor,
            now=call.now,
        )
    structure: Structure = call.ledger.repository.get(case.structure_id)
    return page(
        request,
        "dossier_dpo.html",
        console,
        case=case,
        structure=structure,
        tz=structure.calendar.tz,
    )
