"""The complaints register in the console (Art. 4.7): an adviser enters a complaint (every
missing field named in French), opens it (the read recorded), answers it once; another
structure's complaint is a 404 page."""

from __future__ import annotations

import re
from html import unescape

from tests.builders import Api
from tests.console.test_pages import sign_in


def _plain(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_an_adviser_enters_opens_and_answers_a_complaint(api: Api) -> None:
    csrf = sign_in(api, "adviser-ana")
    form = api.client.get("/console/reclamations/nouvelle")
    assert "Nouvelle réclamation" in form.text
    before = api.position()
    missing = api.client.post(
        "/console/reclamations/nouvelle",
        data={"csrf": csrf, "channel": "counter", "topic": "waiting", "first_name": "Jeanne"},
    )
    assert missing.status_code == 422
    assert "Nom" in missing.text
    assert "Texte de la réclamation" in missing.text
    assert api.position() == before
    entered = api.client.post(
        "/console/reclamations/nouvelle",
        data={
            "csrf": csrf,
            "channel": "counter",
            "topic": "waiting",
            "first_name": "Jeanne",
            "last_name": "Martin",
            "contact": "jeanne@example.org",
            "text": "Deux heures d'attente sans être reçue.",
        },
    )
    assert entered.status_code == 200
    page = _plain(entered.text)
    assert "Réclamation de Jeanne Martin" in page
    assert "sans réponse, dans les délais" in page
    assert "jeanne@example.org" in page
    path = str(entered.url.path)
    register = _plain(api.client.get("/console/reclamations").text)
    assert "temps d'attente" in register
    assert "Martin" not in register  # the register shows no names
    answered = api.client.post(
        f"{path}/reponse", data={"csrf": csrf, "answer": "Nous renforçons l'accueil."}
    )
    assert "répondue" in _plain(answered.text)
    assert "Nous renforçons l'accueil." in _plain(answered.text)
    again = api.client.post(f"{path}/reponse", data={"csrf": csrf, "answer": "encore"})
    assert again.status_code == 409
    assert "déjà reçu sa réponse" in again.text


def test_another_structures_complaint_is_a_404_page(api: Api) -> None:
    csrf = sign_in(api, "adviser-other")
    entered = api.client.post(
        "/console/reclamations/nouvelle",
        data={
            "csrf": csrf,
            "channel": "phone",
            "topic": "welcome",
            "first_name": "Paul",
            "last_name": "Durand",
            "text": "Accueil désagréable.",
        },
    )
    path = str(entered.url.path)
    sign_in(api, "adviser-ana")
    answer = api.client.get(path)
    assert answer.status_code == 404
    assert "Durand" not in answer.text


def test_the_dpos_access_export_holds_the_persons_complaints(api: Api) -> None:
    """GDPR 15 in the console: the file handed to the person holds their complaint, its words
    and its answer, beside their cases; the adviser's person search stays on cases and
    mandates."""
    csrf = sign_in(api, "adviser-ana")
    person = {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1950-02-03"}
    entered = api.client.post(
        "/console/reclamations/nouvelle",
        data={"csrf": csrf, "channel": "counter", "topic": "waiting"}
        | person
        | {"text": "Deux heures d'attente sans être reçue."},
    )
    assert entered.status_code == 200, entered.text
    searched = api.client.post("/console/personnes", data={"csrf": csrf} | person)
    assert "Deux heures" not in searched.text
    csrf = sign_in(api, "dpo-lea")
    shown = api.client.post("/console/acces", data={"csrf": csrf} | person)
    assert "réclamation" in _plain(shown.text)
    exported = api.client.post("/console/acces", data={"csrf": csrf, "format": "json"} | person)
    (complaint,) = [d for d in exported.json()["dossiers"] if d["type"] == "réclamation"]
    assert complaint["texte"] == "Deux heures d'attente sans être reçue."
    assert complaint["auteur"]["last_name"] == "Martin"
    assert complaint["objet"] == "temps d'attente"
