"""Every role against every endpoint, in its own structure and in another: the only 2xx are the
cells API.md allows; a role never allowed gets 403, another structure's resource 404."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tests.builders import (
    ADVISER,
    CALLERS,
    DPO,
    HOME,
    MARTIN,
    NOW,
    Api,
    breach_body,
    declare_breach,
    mandate_body,
    open_request,
    sign_mandate,
    structure_body,
)

ADMIN, DPO_ROLE, ADVISER_ROLE, SUPERVISOR = "admin", "dpo", "adviser", "supervisor"
CASE_WORK = {ADVISER_ROLE, SUPERVISOR}
EVERYONE = {ADMIN, DPO_ROLE, ADVISER_ROLE, SUPERVISOR}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: Callable[[Api], str]
    allowed: set[str]
    scoped: bool  # False: a list filtered to the caller, or a resource of no structure
    body: Callable[[Api], dict[str, Any]] | None = None
    params: dict[str, str] | None = None


def fresh_request(api: Api) -> str:
    return open_request(api.services.ledger, HOME).id.hex


def fresh_mandate(api: Api) -> str:
    return sign_mandate(api.services.ledger, HOME).id.hex


def fresh_breach(api: Api) -> str:
    return declare_breach(api.services.ledger, now=NOW).id.hex


def fresh_resolved_request(api: Api) -> str:
    request = open_request(api.services.ledger, HOME)
    api.services.ledger.requests.resolve(
        request.id, outcome="solved", at=NOW, actor=ADVISER, now=NOW
    )
    return request.id.hex


def fresh_escalated_request(api: Api) -> str:
    request = open_request(api.services.ledger, HOME)
    api.services.ledger.requests.escalate(
        request.id, partner="caf", reason="blocked", at=NOW, actor=ADVISER, now=NOW
    )
    return request.id.hex


def fresh_closable_breach(api: Api) -> str:
    breach = declare_breach(api.services.ledger, now=NOW)
    api.services.ledger.breaches.assess_breach_risk(
        breach.id, level="none", rationale="encrypted", actor=DPO, now=NOW
    )
    return breach.id.hex


def fresh_alert(api: Api) -> str:
    alert, _ = api.services.ledger.alerts.raise_alert(
        kind="sla",
        subject_id=open_request(api.services.ledger, HOME).id,
        due_at=NOW + timedelta(days=3),
        level="warning",
        actor=DPO,
        now=NOW,
    )
    return alert.id.hex


def fresh_link(api: Api) -> str:
    token, _ = api.services.ledger.satisfaction.issue_link(
        structure_code=HOME, channel="counter", actor=ADVISER, now=NOW
    )
    return token


def fresh_complaint(api: Api) -> str:
    complaint = api.services.ledger.complaints.receive_complaint(
        structure_code=HOME,
        channel="counter",
        topic="waiting",
        received_at=NOW,
        complainant=MARTIN,
        text="waited",
        actor=ADVISER,
        now=NOW,
    )
    return complaint.id.hex


REFERENT = {
    "first_name": "Claire",
    "last_name": "Dubois",
    "phone": "05 63 00 00 00",
    "email": "claire.dubois@caf.example",
}


def fresh_referent(api: Api) -> str:
    referent = api.services.ledger.referents.appoint_referent(
        structure_code=HOME, partner="caf", contact=REFERENT, actor=ADVISER, now=NOW
    )
    return referent.id.hex


def fresh_audit(api: Api) -> str:
    audit = api.services.ledger.audits.open_audit(
        structure_code=HOME, evidence={}, actor=ADVISER, now=NOW
    )
    return audit.id.hex


def fresh_envelope(api: Api) -> str:
    return open_request(api.services.ledger, HOME).envelope_id.hex


_codes = itertools.count()
AT = NOW.isoformat()
ENDPOINTS = [
    Endpoint(
        "POST",
        lambda a: "/v1/structures",
        {ADMIN},
        False,
        lambda a: structure_body(f"m{next(_codes)}"),
    ),
    Endpoint("GET", lambda a: f"/v1/structures/{HOME}", {ADMIN, DPO_ROLE, *CASE_WORK}, True),
    Endpoint(
        "PUT",
        lambda a: f"/v1/structures/{HOME}/timetable",
        {ADMIN},
        False,
        lambda a: {
            "timetable": structure_body(HOME)["timetable"],
            "effective_from": (NOW + timedelta(days=30)).isoformat(),
        },
    ),
    Endpoint(
        "POST",
        lambda a: "/v1/requests",
        CASE_WORK,
        True,
        lambda a: {
            "structure_id": HOME,
            "channel": "email",
            "partner": "caf",
            "mission": "information",
            "theme": "rsa",
            "received_at": AT,
            "user": MARTIN,
        },
    ),
    Endpoint("GET", lambda a: "/v1/requests", CASE_WORK, True, params={"structure_id": HOME}),
    Endpoint("GET", lambda a: f"/v1/requests/{fresh_request(a)}", CASE_WORK, True),
    Endpoint(
        "POST",
        lambda a: f"/v1/requests/{fresh_request(a)}/responses",
        CASE_WORK,
        True,
        lambda a: {"at": AT, "summary": "answer"},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/requests/{fresh_request(a)}/actions",
        CASE_WORK,
        True,
        lambda a: {
            "mandate_id": fresh_mandate(a),
            "partner": "caf",
            "scope": "act_on_behalf",
            "procedure": "rsa",
            "at": AT,
        },
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/requests/{fresh_request(a)}/escalations",
        CASE_WORK,
        True,
        lambda a: {"partner": "caf", "reason": "blocked", "at": AT},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/requests/{fresh_request(a)}/resolution",
        CASE_WORK,
        True,
        lambda a: {"outcome": "solved", "at": AT},
    ),
    Endpoint("GET", lambda a: f"/v1/requests/{fresh_request(a)}/history", {SUPERVISOR}, True),
    Endpoint(
        "POST",
        lambda a: f"/v1/requests/{fresh_request(a)}/assignment",
        CASE_WORK,
        True,
        lambda a: {"adviser": "adviser-bob"},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/requests/{fresh_escalated_request(a)}/partner-answers",
        CASE_WORK,
        True,
        lambda a: {"partner": "caf", "summary": "ok", "at": AT},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/requests/{fresh_resolved_request(a)}/reopening",
        CASE_WORK,
        True,
        lambda a: {"reason": "new letter", "at": AT},
    ),
    Endpoint("POST", lambda a: "/v1/mandates", CASE_WORK, True, lambda a: mandate_body(NOW)),
    Endpoint("GET", lambda a: f"/v1/mandates/{fresh_mandate(a)}", CASE_WORK, True),
    Endpoint(
        "POST",
        lambda a: f"/v1/mandates/{fresh_mandate(a)}/revocation",
        CASE_WORK,
        True,
        lambda a: {"at": AT, "requested_by": "mandant", "channel": "counter", "reason": "r"},
    ),
    Endpoint("POST", lambda a: "/v1/breaches", {DPO_ROLE}, False, lambda a: breach_body(NOW)),
    Endpoint(
        "POST",
        lambda a: f"/v1/breaches/{fresh_breach(a)}/risk-assessment",
        {DPO_ROLE},
        False,
        lambda a: {"level": "risk", "rationale": "r"},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/breaches/{fresh_breach(a)}/cnil-notifications",
        {DPO_ROLE},
        False,
        lambda a: {"phase": "initial", "at": AT, "reference": "CNIL-1"},
    ),
    Endpoint("GET", lambda a: "/v1/breaches", {DPO_ROLE}, False),
    Endpoint("GET", lambda a: "/v1/breaches/register", {DPO_ROLE}, False),
    Endpoint("GET", lambda a: f"/v1/breaches/{fresh_breach(a)}", {DPO_ROLE}, False),
    Endpoint(
        "POST",
        lambda a: f"/v1/breaches/{fresh_breach(a)}/subject-information",
        {DPO_ROLE},
        False,
        lambda a: {"at": AT, "channel": "letter"},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/breaches/{fresh_breach(a)}/subject-exemption",
        {DPO_ROLE},
        False,
        lambda a: {"ground": "unintelligible", "rationale": "encrypted"},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/breaches/{fresh_closable_breach(a)}/closure",
        {DPO_ROLE},
        False,
        lambda a: {"at": AT},
    ),
    Endpoint(
        "POST",
        lambda a: f"/v1/envelopes/{fresh_envelope(a)}/destruction",
        {DPO_ROLE},
        False,
        lambda a: {"reason": "data_subject_request"},
    ),
    Endpoint("GET", lambda a: "/v1/envelopes/due", {DPO_ROLE}, False),
    Endpoint(
        "GET", lambda a: "/v1/dashboards/sla", {SUPERVISOR}, True, params={"structure_id": HOME}
    ),
    Endpoint("GET", lambda a: "/v1/audit/events", {DPO_ROLE}, False),
    Endpoint("POST", lambda a: "/v1/subjects/search", {DPO_ROLE}, False, lambda a: MARTIN),
    Endpoint("GET", lambda a: "/v1/audit/integrity", {DPO_ROLE}, False),
    Endpoint("GET", lambda a: "/v1/alerts", {SUPERVISOR, DPO_ROLE}, False),
    Endpoint(
        "POST",
        lambda a: f"/v1/alerts/{fresh_alert(a)}/acknowledgement",
        {SUPERVISOR, DPO_ROLE},
        True,
    ),
    Endpoint(
        "GET",
        lambda a: "/v1/reports/quarterly",
        {SUPERVISOR},
        True,
        params={"structure_id": HOME, "quarter": "2026-Q4"},
    ),
    Endpoint(
        "GET",
        lambda a: "/v1/reports/yearly",
        {SUPERVISOR, DPO_ROLE, ADMIN},
        False,
        params={"year": "2026"},
    ),
    Endpoint(
        "POST",
        lambda a: "/v1/complaints",
        CASE_WORK,
        True,
        lambda a: {
            "structure_id": HOME,
            "channel": "counter",
            "topic": "waiting",
            "received_at": AT,
            "complainant": MARTIN,
            "text": "waited",
        },
    ),
    Endpoint("GET", lambda a: "/v1/complaints", CASE_WORK, True, params={"structure_id": HOME}),
    Endpoint("GET", lambda a: f"/v1/complaints/{fresh_complaint(a)}", CASE_WORK, True),
    Endpoint(
        "POST",
        lambda a: f"/v1/complaints/{fresh_complaint(a)}/answer",
        CASE_WORK,
        True,
        lambda a: {"at": AT, "answer": "sorry"},
    ),
    Endpoint(
        "POST",
        lambda a: "/v1/referents",
        {SUPERVISOR},
        True,
        lambda a: {"structure_id": HOME, "partner": "caf", "contact": REFERENT},
    ),
    Endpoint("GET", lambda a: "/v1/referents", CASE_WORK, True, params={"structure_id": HOME}),
    Endpoint(
        "GET", lambda a: "/v1/referents/annex-6", {SUPERVISOR}, True, params={"structure_id": HOME}
    ),
    Endpoint("GET", lambda a: f"/v1/referents/{fresh_referent(a)}", CASE_WORK, True),
    Endpoint(
        "PUT",
        lambda a: f"/v1/referents/{fresh_referent(a)}/contact",
        {SUPERVISOR},
        True,
        lambda a: {"contact": REFERENT},
    ),
    Endpoint("POST", lambda a: f"/v1/referents/{fresh_referent(a)}/departure", {SUPERVISOR}, True),
    Endpoint("POST", lambda a: "/v1/audits", {ADMIN}, False, lambda a: {"structure_id": HOME}),
    Endpoint("GET", lambda a: "/v1/audits", {ADMIN, SUPERVISOR}, False),
    Endpoint("GET", lambda a: f"/v1/audits/{fresh_audit(a)}", {ADMIN, SUPERVISOR}, True),
    Endpoint(
        "POST",
        lambda a: f"/v1/audits/{fresh_audit(a)}/assessments",
        {ADMIN},
        False,
        lambda a: {"criterion": "signage", "result": "met"},
    ),
    Endpoint("GET", lambda a: "/v1/satisfaction/questionnaire", EVERYONE, False),
    Endpoint(
        "POST",
        lambda a: "/v1/satisfaction/answers",
        CASE_WORK,
        True,
        lambda a: {"structure_id": HOME, "channel": "counter", "answers": {"overall": "satisfied"}},
    ),
    Endpoint(
        "POST",
        lambda a: "/v1/satisfaction/links",
        CASE_WORK,
        True,
        lambda a: {"structure_id": HOME, "channel": "counter"},
    ),
    # A link is its own secret: whoever holds it may answer, with or without a token.
    Endpoint("GET", lambda a: f"/v1/satisfaction/links/{fresh_link(a)}", EVERYONE, False),
    Endpoint(
        "POST",
        lambda a: f"/v1/satisfaction/links/{fresh_link(a)}/answer",
        EVERYONE,
        False,
        lambda a: {"answers": {"overall": "satisfied"}},
    ),
    Endpoint(
        "GET",
        lambda a: "/v1/satisfaction/indicators",
        {SUPERVISOR},
        True,
        params={"structure_id": HOME, "year": "2026"},
    ),
]


def expected(endpoint: Endpoint, role: str, structure: str | None) -> int | None:
    """None: a 2xx; otherwise the refusal."""
    if role not in endpoint.allowed:
        return 403
    if endpoint.scoped and role in CASE_WORK and structure != HOME:
        return 404
    return None


def test_the_only_2xx_are_the_allowed_cells(api: Api) -> None:
    api.catch_up()
    outcomes = []
    for endpoint in ENDPOINTS:
        for role, structure in CALLERS:
            response = api.call(
                endpoint.method,
                endpoint.path(api),
                role,
                structure,
                json=endpoint.body(api) if endpoint.body else None,
                params=endpoint.params,
            )
            cell = f"{endpoint.method} {endpoint.path(api).split('/')[2]} {role}@{structure}"
            want = expected(endpoint, role, structure)
            got = response.status_code
            outcomes.append((cell, got, response.text[:120]))
            if want is None:
                assert 200 <= got < 300, (cell, got, response.text)
            else:
                assert got == want, (cell, got, response.text)
                assert response.headers["content-type"] == "application/problem+json"
    allowed = sum(1 for e in ENDPOINTS for r, s in CALLERS if expected(e, r, s) is None)
    assert sum(1 for _, got, _ in outcomes if got < 300) == allowed


def test_health_needs_no_token(api: Api) -> None:
    assert api.client.get("/v1/health").status_code == 200
