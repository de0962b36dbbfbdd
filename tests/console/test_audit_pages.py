"""ANCT flash audits in the console (Art. 4.7): the administrator opens one with the evidence
the register holds, assesses each criterion and closes it; the supervisor reads it."""

from __future__ import annotations

import re
from html import unescape

from domain.audit_flash import CURRENT_GRID
from tests.builders import Api
from tests.console.test_pages import csrf_of, sign_in


def _plain(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_an_admin_opens_assesses_and_closes_an_audit_the_supervisor_reads_it(api: Api) -> None:
    api.open_request()
    api.clock.advance(hours=1)
    csrf = sign_in(api, "admin-paul")
    opened = api.client.post("/console/audits", data={"csrf": csrf, "structure": "montauban"})
    assert opened.status_code == 200, opened.text
    text = _plain(opened.text)
    assert "Ce que montre le registre" in text
    assert "1 demande soumise au délai" in text
    assert "À constater sur place." in text
    path = str(opened.url.path)
    incomplete = api.client.post(
        path, data={"csrf": csrf_of(opened.text), "r_signage": "met", "clore": "1"}
    )
    assert incomplete.status_code == 409
    assert "Tous les critères doivent être évalués" in incomplete.text
    answers = {f"r_{code}": "met" for code in CURRENT_GRID.codes}
    done = api.client.post(
        path,
        data={
            "csrf": csrf,
            **answers,
            "r_signage": "not_met",
            "m_signage": "Pas d'enseigne.",
            "clore": "1",
        },
    )
    assert "non conforme (clos le" in _plain(done.text)
    sign_in(api, "supervisor-sam")
    listed = _plain(api.client.get("/console/audits").text)
    assert "non conforme" in listed
    assert "Pas d'enseigne." in _plain(api.client.get(path).text)
    sign_in(api, "adviser-ana")
    assert api.client.get("/console/audits").status_code == 403
