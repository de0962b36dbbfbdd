"""What every console page shares: the session (a token given once at sign-in, then an HttpOnly
cookie, 30 minutes idle), CSRF on every form, the security headers, the French error pages, and
the templates. The role x structure rule is the API's (``api.deps``): a console call is the same
``Call`` as an API call."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.console import french
from api.deps import Call, services
from application.authorization import Caller, Role, TokenExpired

HERE = Path(__file__).parent
SESSION_COOKIE = "registre_session"
SIGN_IN_COOKIE = "registre_connexion"
IDLE = timedelta(minutes=30)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(label=french.label, message=french.message, field=french.field)
templates.env.filters.update(
    moment=french.moment,
    day=french.day,
    duration=french.duration,
    stored=french.stored,
    hours=french.hours,
)

NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.ADVISER: [
        ("/console/demandes", "Demandes"),
        ("/console/demandes/nouvelle", "Nouvelle demande"),
        ("/console/personnes", "Trouver une personne"),
        ("/console/mandats/nouveau", "Nouveau mandat"),
        ("/console/reclamations", "Réclamations"),
        ("/console/avis", "Avis des usagers"),
        ("/console/referents", "Référents"),
    ],
    Role.SUPERVISOR: [
        ("/console/tableau-de-bord", "Tableau de bord"),
        ("/console/demandes", "Demandes"),
        ("/console/rapport", "Rapport trimestriel"),
        ("/console/rapport-annuel", "Rapport annuel"),
        ("/console/alertes", "Alertes"),
        ("/console/reclamations", "Réclamations"),
        ("/console/satisfaction", "Satisfaction"),
        ("/console/avis", "Avis des usagers"),
        ("/console/referents", "Référents"),
        ("/console/audits", "Audits flash"),
    ],
    Role.DPO: [
        ("/console/audit", "Journal d'audit"),
        ("/console/violations", "Violations de données"),
        ("/console/destructions", "Destructions"),
        ("/console/acces", "Droit d'accès"),
        ("/console/alertes", "Alertes"),
        ("/console/integrite", "Intégrité"),
        ("/console/rapport-annuel", "Rapport annuel"),
    ],
    Role.ADMIN: [
        ("/console/structures", "Structures"),
        ("/console/jetons", "Jetons"),
        ("/console/audits", "Audits flash"),
        ("/console/rapport-annuel", "Rapport annuel"),
    ],
}
HOME = {
    Role.ADVISER: "/console/demandes",
    Role.SUPERVISOR: "/console/tableau-de-bord",
    Role.DPO: "/console/audit",
    Role.ADMIN: "/console/structures",
}


class SignInRequired(Exception):
    """No session, or an ended one: the sign-in page, then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Refused(Exception):
    """A console refusal shown as a French page (403, 404, 409, 422)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


@dataclass(frozen=True)
class Console:
    """One console call: the API's ``Call`` and the session's CSRF secret."""

    call: Call
    csrf: str

    @property
    def caller(self) -> Caller:
        return self.call.caller


def _console(request: Request) -> Console:
    found = services(request)
    now = found.clock()
    session = request.cookies.get(SESSION_COOKIE, "")
    opened = found.tokens.session(session, now, IDLE) if session else None
    if opened is None:
        raise SignInRequired(request.url.path)
    caller, csrf = opened
    request.state.actor = caller.name
    return Console(Call(caller, found, now), csrf)


def allowed(*roles: Role) -> Any:
    def resolve(request: Request) -> Console:
        console = _console(request)
        if console.caller.role not in roles:
            raise Refused(403, "forbidden")
        return console

    return Depends(resolve)


Adviser = Annotated[Console, allowed(Role.ADVISER, Role.SUPERVISOR)]  # as the API's
Supervisor = Annotated[Console, allowed(Role.SUPERVISOR)]
Dpo = Annotated[Console, allowed(Role.DPO)]
Admin = Annotated[Console, allowed(Role.ADMIN)]
SupervisorOrDpo = Annotated[Console, allowed(Role.SUPERVISOR, Role.DPO)]
ReportReader = Annotated[Console, allowed(Role.SUPERVISOR, Role.DPO, Role.ADMIN)]
Anyone = Annotated[Console, allowed(*Role)]


def fresh(console: Console, *views: str) -> None:
    """Read-your-writes: the views a page reads first take in what was just written (the
    runner is safe beside the one that follows the log: each view's batch is locked)."""
    console.call.services.runner.run_until_idle(list(views))


def check_csrf(console: Console, sent: str) -> None:
    if not hmac.compare_digest(console.csrf.encode(), sent.encode()):
        raise Refused(403, "csrf")


def page(
    request: Request, template: str, console: Console | None, status: int = 200, **context: Any
) -> HTMLResponse:
    caller = console.caller if console else None
    return templates.TemplateResponse(
        request,
        template,
        {
            "caller": caller,
            "csrf": console.csrf if console else "",
            "navigation": NAVIGATION.get(caller.role, []) if caller else [],
            "now": console.call.now if console else None,
            **context,
        },
        status_code=status,
    )


def sign_in_page(request: Request, problem: str | None = None, status: int = 200) -> Response:
    """The sign-in form, with a CSRF secret of its own (there is no session yet)."""
    secret = secrets.token_urlsafe(24)
    next_path = request.query_params.get("suite", "")
    response = templates.TemplateResponse(
        request,
        "connexion.html",
        {"caller": None, "navigation": [], "csrf": secret, "problem": problem, "suite": next_path},
        status_code=status,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/console",
    )
    return response


def sign_in(request: Request, token: str, csrf: str, next_path: str) -> Response:
    sent = request.cookies.get(SIGN_IN_COOKIE, "")
    if not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
        return sign_in_page(request, french.message("csrf"), 403)
    found = services(request)
    try:
        opened = found.tokens.open_session(token.strip(), found.clock())
    except TokenExpired:
        return sign_in_page(request, french.message("token_expired"), 401)
    if opened is None:
        return sign_in_page(request, french.message("unauthorized"), 401)
    session, caller = opened
    target = next_path if next_path.startswith("/console/") else HOME[caller.role]
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/console",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/console")
    return response


def sign_out(request: Request, console: Console) -> Response:
    services(request).tokens.close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/console/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


def _secure(request: Request) -> bool:
    """Secure cookies behind TLS (the proxy says so with X-Forwarded-Proto)."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded == "https"


def to_sign_in(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/console/connexion?suite={quote(next_path)}", status_code=303)


def error_page(request: Request, status: int, code: str) -> HTMLResponse:
    """A refusal as a French page (``None`` caller: the page does not read the session)."""
    titles = {403: "Accès refusé", 404: "Page introuvable", 409: "Action refusée"}
    return templates.TemplateResponse(
        request,
        "erreur.html",
        {
            "caller": None,
            "navigation": [],
            "csrf": "",
            "title": titles.get(status, "Saisie refusée"),
            "text": french.message(code),
            "status": status,
        },
        status_code=status,
    )


SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
