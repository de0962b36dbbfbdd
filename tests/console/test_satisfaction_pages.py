"""Art. 4.7 in the console: an adviser enters a paper questionnaire or hands a one-time link
over; the user answers it without any account, once; the supervisor reads the indicators."""

from __future__ import annotations

import re

from tests.builders import Api
from tests.console.test_pages import sign_in

LINK = re.compile(r'<code id="lien-avis">http://testserver(/avis/[^<]+)</code>')


def test_a_paper_questionnaire_names_what_is_missing_in_french_then_is_recorded(api: Api) -> None:
    csrf = sign_in(api, "adviser-ana")
    form = api.client.get("/console/avis")
    assert "Saisir un questionnaire papier" in form.text
    assert "Très satisfait(e)" in form.text
    before = api.position()
    missing = api.client.post(
        "/console/avis/papier", data={"csrf": csrf, "channel": "counter", "q_waiting": "yes"}
    )
    assert missing.status_code == 422
    assert "Satisfaction générale" in missing.text
    assert api.position() == before
    done = api.client.post(
        "/console/avis/papier",
        data={"csrf": csrf, "channel": "counter", "year": "2026", "q_overall": "satisfied"},
    )
    assert done.status_code == 200
    assert "Le questionnaire a été enregistré" in done.text
    assert api.position() == before + 1


def test_a_link_is_shown_once_answered_once_without_account_and_counted(api: Api) -> None:
    csrf = sign_in(api, "adviser-ana")
    shown = api.client.post("/console/avis/liens", data={"csrf": csrf, "channel": "counter"})
    assert shown.status_code == 200
    found = LINK.search(shown.text)
    assert found, shown.text
    path = found.group(1)
    api.client.cookies.clear()  # the user has no session
    questionnaire = api.client.get(path)
    assert questionnaire.status_code == 200
    assert "Votre avis sur France Services" in questionnaire.text
    assert questionnaire.headers["x-frame-options"] == "DENY"
    assert "<script" not in questionnaire.text
    incomplete = api.client.post(path, data={"q_welcome": "satisfied"})
    assert incomplete.status_code == 422
    assert "Satisfaction générale" in incomplete.text
    thanks = api.client.post(path, data={"q_overall": "very_satisfied", "q_recommend": "yes"})
    assert thanks.status_code == 200
    assert "Merci ! Votre avis a bien été enregistré" in thanks.text
    again = api.client.post(path, data={"q_overall": "very_dissatisfied"})
    assert again.status_code == 409
    assert "Ce lien a déjà servi" in again.text
    assert api.client.get("/avis/not-a-link").status_code == 404
    sign_in(api, "supervisor-sam")
    page = api.client.get("/console/satisfaction", params={"annee": "2026"})
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "Satisfaction des usagers 2026" in text
    assert "1 questionnaire " in text
    assert "100 % d'usagers satisfaits" in text
    assert "1 / 1 liens d'avis utilisés" in text
