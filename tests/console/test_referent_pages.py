"""Art. 5.2.1 in the console: the supervisor records a referent and its departure, downloads
Annex 6; the adviser sees the referents and names one when transmitting a case."""

from __future__ import annotations

import re
from html import unescape

from tests.builders import Api
from tests.console.test_pages import csrf_of, sign_in


def _plain(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


FORM = {
    "partner": "caf",
    "first_name": "Claire",
    "last_name": "Dubois",
    "title": "référente",
    "phone": "05 63 00 00 00",
    "email": "claire.dubois@caf.example",
}


def test_a_supervisor_records_a_referent_an_adviser_names_it_then_it_leaves(api: Api) -> None:
    csrf = sign_in(api, "supervisor-sam")
    missing = api.client.post("/console/referents", data={"csrf": csrf, "partner": "caf"})
    assert missing.status_code == 422
    assert "Téléphone direct" in _plain(missing.text)
    added = api.client.post("/console/referents", data={"csrf": csrf, **FORM})
    assert "Référent enregistré." in _plain(added.text)
    assert "Claire Dubois" in _plain(added.text)
    annex = api.client.get("/console/referents/annexe-6")
    assert annex.headers["content-type"].startswith("text/csv")
    assert "CAF,Dubois,Claire" in annex.text

    case = api.open_request()
    csrf = sign_in(api, "adviser-ana")
    page = api.client.get(f"/console/demandes/{case['id']}")
    found = re.search(r'<option value="([0-9a-f]{32})">CAF — Claire Dubois', page.text)
    assert found, page.text
    sent = api.client.post(
        f"/console/demandes/{case['id']}/escalade",
        data={
            "csrf": csrf_of(page.text),
            "partner": "caf",
            "reason": "bloqué",
            "referent": found.group(1),
        },
    )
    assert sent.status_code == 200, sent.text
    assert "transmise au partenaire" in _plain(sent.text)
    assert api.client.get("/console/referents").status_code == 200
    assert (
        api.client.post(
            f"/console/referents/{found.group(1)}/depart", data={"csrf": csrf}
        ).status_code
        == 403
    )

    csrf = sign_in(api, "supervisor-sam")
    gone = api.client.post(f"/console/referents/{found.group(1)}/depart", data={"csrf": csrf})
    assert "coordonnées détruites" in _plain(gone.text)
    assert "Dubois" not in _plain(gone.text)
