"""The console over HTTP, on each backend: sign-in and sessions, CSRF, the security headers,
the role x structure matrix as pages, and each role's pages answering in French."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from store.tokens import TokenStore
from tests.builders import HOME, MARTIN, NOW, OTHER, Api

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def sign_in(api: Api, name: str) -> str:
    """Signs in with the token of ``name`` (tests.builders.CALLERS); returns a page's CSRF."""
    api.client.cookies.clear()
    form = api.client.get("/console/connexion")
    assert form.status_code == 200
    answer = api.client.post(
        "/console/connexion",
        data={"jeton": api.tokens[name], "csrf": csrf_of(form.text), "suite": ""},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    landing = api.client.get(answer.headers["location"])
    assert landing.status_code == 200, landing.text
    return csrf_of(landing.text)


def test_without_a_session_every_page_goes_to_sign_in(api: Api) -> None:
    for path in ("/console/", "/console/demandes", "/console/audit", "/console/jetons"):
        answer = api.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/connexion?suite=")
    page = api.client.get("/console/connexion")
    assert 'lang="fr"' in page.text
    assert "Jeton d'accès" in page.text


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_the_session(api: Api) -> None:
    form = api.client.get("/console/connexion")
    answer = api.client.post(
        "/console/connexion",
        data={"jeton": api.tokens["adviser-ana"], "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert answer.headers["location"] == "/console/demandes"
    session = api.client.cookies.get("registre_session")
    page = api.client.get("/console/demandes")
    assert page.status_code == 200
    out = api.client.post("/console/deconnexion", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 200  # the sign-in page, after the redirect
    api.client.cookies.set("registre_session", session or "", path="/console")
    again = api.client.get("/console/demandes", follow_redirects=False)
    assert again.status_code == 303  # the old cookie names a closed session


def test_a_wrong_token_or_a_forged_form_signs_nobody_in(api: Api) -> None:
    form = api.client.get("/console/connexion")
    wrong = api.client.post(
        "/console/connexion", data={"jeton": "fsl_nothing", "csrf": csrf_of(form.text)}
    )
    assert wrong.status_code == 401
    assert "Jeton inconnu" in wrong.text
    forged = api.client.post(
        "/console/connexion", data={"jeton": api.tokens["adviser-ana"], "csrf": "forged"}
    )
    assert forged.status_code == 403
    assert "registre_session" not in forged.headers.get("set-cookie", "")


def test_a_session_idle_for_30_minutes_ends(api: Api) -> None:
    sign_in(api, "adviser-ana")
    api.clock.advance(minutes=29)
    assert api.client.get("/console/demandes", follow_redirects=False).status_code == 200
    api.clock.advance(minutes=31)
    assert api.client.get("/console/demandes", follow_redirects=False).status_code == 303


def test_a_revoked_token_ends_its_sessions(api: Api) -> None:
    sign_in(api, "adviser-ana")
    TokenStore(api.services.views).revoke("adviser-ana", NOW + timedelta(minutes=1))
    assert api.client.get("/console/demandes", follow_redirects=False).status_code == 303


def test_pages_carry_a_strict_content_security_policy_and_no_inline_script(api: Api) -> None:
    sign_in(api, "adviser-ana")
    page = api.client.get("/console/demandes")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "<script" not in page.text
    assert "style=" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"


def test_a_form_without_its_csrf_secret_is_refused_and_changes_nothing(api: Api) -> None:
    sign_in(api, "adviser-ana")
    before = api.position()
    answer = api.client.post(
        "/console/demandes/nouvelle",
        data=_case_form("forged"),
    )
    assert answer.status_code == 403
    assert "Le formulaire a expiré" in answer.text
    assert api.position() == before


def _case_form(csrf: str, **overrides: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "structure": HOME,
        "channel": "email",
        "partner": "caf",
        "mission": "administrative_help",
        "theme": "rsa",
        "received_at": "",
        "first_name": MARTIN["first_name"],
        "last_name": MARTIN["last_name"],
        "birth_date": MARTIN["birth_date"],
    } | overrides


def test_an_adviser_opens_answers_and_finds_a_case_in_french(api: Api) -> None:
    csrf = sign_in(api, "adviser-ana")
    opened = api.client.post("/console/demandes/nouvelle", data=_case_form(csrf))
    assert opened.status_code == 200
    assert "Demande enregistrée." in opened.text
    assert "Demande de Jeanne Martin" in opened.text
    assert "lundi 23 novembre 2026, 10 h 00" in opened.text  # Paris time, as read in France
    case_path = str(opened.url.path)
    answered = api.client.post(
        f"{case_path}/reponse", data={"csrf": csrf, "summary": "pièces listées"}
    )
    assert "réponse apportée" in answered.text
    api.catch_up()  # the worklist reads the sla view
    worklist = api.client.get("/console/demandes")
    assert "Jeanne Martin" in worklist.text
    assert "courriel" in worklist.text
    person = {"first_name": "jeanne", "last_name": "MARTIN", "birth_date": "1950-02-03"}
    found = api.client.post("/console/personnes", data={"csrf": csrf} | person)
    assert case_path.rsplit("/", 1)[-1] in found.text


def test_a_mandate_form_names_every_missing_precondition_at_once(api: Api) -> None:
    csrf = sign_in(api, "adviser-ana")
    before = api.position()
    answer = api.client.post(
        "/console/mandats/nouveau",
        data={"csrf": csrf, "structure": HOME, "first_name": "Jeanne", "last_name": "Martin"},
    )
    assert answer.status_code == 422
    assert api.position() == before
    problems = [html.unescape(p) for p in re.findall(r"<li><strong>([^<]+)</strong>", answer.text)]
    assert len(problems) >= 4, answer.text
    assert {"Pièce d'identité", "Périmètre du mandat", "Empreinte du document signé"} <= set(
        problems
    )


def test_acting_on_behalf_offers_the_persons_mandates_only(api: Api) -> None:
    csrf = sign_in(api, "adviser-ana")
    case = api.open_request()
    mine = api.sign_mandate()
    other = api.sign_mandate(mandant={"first_name": "Autre", "last_name": "Personne"})
    page = api.client.get(f"/console/demandes/{case['id']}")
    assert mine["id"] in page.text
    assert other["id"] not in page.text
    acted = api.client.post(
        f"/console/demandes/{case['id']}/action",
        data={
            "csrf": csrf,
            "mandate": mine["id"],
            "partner": "caf",
            "scope": "act_on_behalf",
            "procedure": "rsa_renewal",
        },
    )
    assert "action pour le compte de l" in acted.text
    refused = api.client.post(
        f"/console/demandes/{case['id']}/action",
        data={
            "csrf": csrf,
            "mandate": other["id"],
            "partner": "caf",
            "scope": "act_on_behalf",
            "procedure": "rsa_renewal",
        },
    )
    assert refused.status_code == 409
    assert "une autre personne" in refused.text


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("adviser-ana", "/console/audit", 403),
        ("adviser-ana", "/console/tableau-de-bord", 403),
        ("adviser-ana", "/console/jetons", 403),
        ("supervisor-sam", "/console/violations", 403),
        ("dpo-lea", "/console/demandes", 403),
        ("dpo-lea", "/console/jetons", 403),
        ("admin-paul", "/console/audit", 403),
        ("supervisor-sam", "/console/tableau-de-bord", 200),
        ("dpo-lea", "/console/audit", 200),
        ("dpo-lea", "/console/violations", 200),
        ("dpo-lea", "/console/destructions", 200),
        ("dpo-lea", "/console/integrite", 200),
        ("dpo-lea", "/console/alertes", 200),
        ("admin-paul", "/console/structures", 200),
        ("admin-paul", "/console/jetons", 200),
        ("adviser-ana", "/console/avis", 200),
        ("supervisor-sam", "/console/avis", 200),
        ("supervisor-sam", "/console/satisfaction", 200),
        ("adviser-ana", "/console/satisfaction", 403),
        ("dpo-lea", "/console/avis", 403),
        ("adviser-ana", "/console/reclamations", 200),
        ("supervisor-sam", "/console/reclamations", 200),
        ("dpo-lea", "/console/reclamations", 403),
        ("admin-paul", "/console/reclamations/nouvelle", 403),
    ],
)
def test_the_role_matrix_holds_in_the_console(api: Api, who: str, path: str, status: int) -> None:
    sign_in(api, who)
    answer = api.client.get(path, follow_redirects=False)
    assert answer.status_code == status, answer.text
    if status == 403:
        assert "Accès refusé" in answer.text


def test_another_structures_case_is_a_404_page(api: Api) -> None:
    theirs = api.open_request(OTHER)
    sign_in(api, "adviser-ana")
    answer = api.client.get(f"/console/demandes/{theirs['id']}")
    assert answer.status_code == 404
    assert "Page introuvable" in answer.text
    assert "Martin" not in answer.text
    assert api.client.get("/console/demandes/not-an-id").status_code == 404


def test_the_destructions_done_show_when_and_by_whom(api: Api) -> None:
    """Read from the retention view joined to the destruction's audit entry (it once scanned
    every audit entry of the last 90 days for them)."""
    case = api.open_request()
    envelope = api.call("GET", f"/v1/requests/{case['id']}", "adviser").json()["envelope_id"]
    destroyed = api.destroy(envelope)
    assert destroyed.status_code == 200, destroyed.text
    sign_in(api, "dpo-lea")
    page = api.client.get("/console/destructions")
    assert page.status_code == 200
    done = page.text.split("Destructions des 90 derniers jours", 1)[1]
    assert f"enveloppe {envelope[:8]}" in done
    assert "dpo-lea" in done
    assert "lundi 23 novembre 2026" in done


def test_the_dpo_filters_the_audit_trail_by_structure_action_and_legal_basis(api: Api) -> None:
    mine, theirs = api.open_request(), api.open_request(OTHER)
    api.call("GET", f"/v1/requests/{mine['id']}", "adviser")
    api.call("GET", f"/v1/requests/{theirs['id']}", "adviser", OTHER)
    csrf = sign_in(api, "dpo-lea")
    assert csrf
    page = api.client.get(
        "/console/audit",
        params={"structure": HOME, "action": "DataAccess.PersonalDataRead", "base": "gdpr-6-1-e"},
    )
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>.*?</tr>", page.text, flags=re.S)
    assert len(rows) == 1, rows
    assert "données consultées" in rows[0]
    assert HOME in rows[0]
    export = api.client.get("/console/audit", params={"structure": OTHER, "format": "csv"})
    assert export.headers["content-type"].startswith("text/csv")
    lines = [line.split(",") for line in export.text.strip().splitlines()]
    assert [line[4] for line in lines[1:]] == [
        "Structure.Registered",
        "Request.Opened",
        "DataAccess.PersonalDataRead",
    ]
    assert {line[5] for line in lines[1:]} == {OTHER}


@pytest.mark.parametrize(
    ("who", "method", "path", "form"),
    [
        ("adviser-ana", "POST", "/console/demandes/nouvelle", {"received_at": "hier midi"}),
        ("adviser-ana", "POST", "/console/mandats/nouveau", {"valid_until": "31/12/2027"}),
        ("adviser-ana", "POST", "/console/mandats/nouveau", {"originals": "deux"}),
        ("dpo-lea", "POST", "/console/violations/nouvelle", {"aware_at": "9999-99-99"}),
        ("dpo-lea", "POST", "/console/violations/nouvelle", {"approx_subjects": "-4"}),
        ("dpo-lea", "GET", "/console/audit?du=1er+janvier", {}),
        ("dpo-lea", "GET", "/console/audit?demande=pas-un-id", {}),
        ("supervisor-sam", "GET", "/console/rapport?trimestre=0000-Q9", {}),
        ("dpo-lea", "POST", "/console/destructions", {"envelope": "pas-un-id", "reason": "x"}),
        ("admin-paul", "POST", f"/console/structures/{HOME}/horaires", {"mardi": "9h à midi"}),
        ("admin-paul", "POST", f"/console/structures/{HOME}/horaires", {"lundi": "12:00-09:00"}),
        ("admin-paul", "POST", "/console/structures/nulle-part/horaires", {}),
    ],
)
def test_bad_input_in_a_console_form_is_a_french_page_and_changes_nothing(
    api: Api, who: str, method: str, path: str, form: dict[str, str]
) -> None:
    csrf = sign_in(api, who)
    before = api.position()
    base = _case_form(csrf) if path.endswith("/demandes/nouvelle") else {"csrf": csrf}
    answer = api.client.request(method, path, data=(base | form) if method == "POST" else None)
    assert 400 <= answer.status_code < 500, answer.text
    assert 'lang="fr"' in answer.text
    assert api.position() == before


def test_an_admin_announces_a_timetable_and_sees_its_conformity(api: Api) -> None:
    """Art. 4.2 in the console: a change takes effect on a chosen day, never in the past; a
    timetable under 24 h over 5 days is recorded but shown as not conforming."""
    csrf = sign_in(api, "admin-paul")
    listing = api.client.get("/console/structures")
    assert f'href="/console/structures/{HOME}/horaires"' in listing.text
    form = api.client.get(f"/console/structures/{HOME}/horaires")
    assert form.status_code == 200
    assert 'value="09:00-14:00"' in form.text  # the timetable in force, to start from
    assert "conforme" in form.text
    week = dict.fromkeys(("lundi", "mardi", "mercredi"), "9h-12h, 13h30-17h")
    before = api.position()
    past = api.client.post(
        f"/console/structures/{HOME}/horaires",
        data={"csrf": csrf, "effective_from": "2026-11-20"} | week,
    )
    assert past.status_code == 422
    assert "ne peut pas prendre effet dans le passé" in past.text
    assert api.position() == before

    done = api.client.post(
        f"/console/structures/{HOME}/horaires",
        data={"csrf": csrf, "effective_from": "2026-11-30"} | week,
    )

    assert done.status_code == 200, done.text
    assert "Horaires enregistrés." in done.text
    assert "dès le lundi 30 novembre 2026" in done.text
    read = api.call("GET", f"/v1/structures/{HOME}", "admin").json()
    assert read["announced"][0]["effective_from"].startswith("2026-11-29T23:00:00")
    assert read["announced"][0]["conformity"] == {
        "weekly_hours": 19.5,
        "open_days": 3,
        "meets_minimum": False,
    }
    again = api.client.get(f"/console/structures/{HOME}/horaires")
    assert 'value="09:00-12:00, 13:30-17:00"' in again.text
    assert "19,5 h sur 3 jours" in again.text
    assert "non conforme" in again.text


def test_an_admin_creates_a_token_shown_once_and_revokes_it(api: Api) -> None:
    csrf = sign_in(api, "admin-paul")
    created = api.client.post(
        "/console/jetons",
        data={"csrf": csrf, "name": "agent-0042", "role": "adviser", "structures": HOME},
    )
    assert created.status_code == 200
    token = re.search(r'<code class="jeton">([^<]+)</code>', created.text)
    assert token, created.text
    row = re.search(r"<tr><td>agent-0042</td>.*?</tr>", created.text, flags=re.S)
    assert row
    assert f"<td>{HOME}</td>" in row.group(0)
    assert re.search(r"<tr><td>dpo-lea</td><td>[^<]+</td><td>toutes</td>", created.text)
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert api.client.get(f"/v1/structures/{HOME}", headers=bearer).status_code == 200
    listing = api.client.get("/console/jetons")
    assert token.group(1) not in listing.text  # shown once

    api.client.post("/console/jetons/revocation", data={"csrf": csrf, "name": "agent-0042"})

    assert api.client.get(f"/v1/structures/{HOME}", headers=bearer).status_code == 401


def test_the_quarterly_report_page_speaks_french(api: Api) -> None:
    api.open_request(channel="counter")
    sign_in(api, "supervisor-sam")
    page = api.client.get("/console/rapport", params={"trimestre": "2026-Q4"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    for shown in (
        "Demandes reçues à l'accueil physique</th><td>1",
        "Usagers distincts</th><td>1",
        "Taux de réponse dans les délais</th><td>— (aucune demande soumise au délai)",
        "<td>CAF</td><td>rsa</td><td>accueil physique</td><td>aide administrative</td><td>1</td>",
    ):
        assert shown in text, shown
    for code in ("structure_id", "sla_on_time_rate", "None", "answered_on_time"):
        assert code not in text, code
