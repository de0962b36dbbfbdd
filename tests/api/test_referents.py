"""Art. 5.2.1 through HTTP: the supervisor records the partners' referents, the structure's
staff read them (each read recorded), an escalation names the one it went to, Annex 6 as CSV;
their details never reach another structure or anything a user receives, and are destroyed
when the referent leaves."""

from __future__ import annotations

import csv
import io

from tests.api.test_contract import problem
from tests.api.test_matrix import REFERENT
from tests.builders import HOME, MARTIN, Api


def appoint(api: Api, partner: str = "caf") -> dict[str, object]:
    response = api.call(
        "POST",
        "/v1/referents",
        "supervisor",
        json={"structure_id": HOME, "partner": partner, "contact": REFERENT},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_structures_staff_read_referents_and_an_escalation_names_one(api: Api) -> None:
    caf = appoint(api)
    appoint(api, "cpam")
    api.catch_up()
    before = api.position()
    listed = api.call("GET", "/v1/referents", "adviser", params={"partner": "caf"}).json()
    assert [(r["id"], r["contact"]["phone"]) for r in listed] == [(caf["id"], REFERENT["phone"])]
    assert api.position() == before + 1  # the read of one referent's details, recorded
    assert api.call("GET", "/v1/referents", "adviser", "cahors").json() == []
    problem(api.call("GET", f"/v1/referents/{caf['id']}", "adviser", "cahors"), 404, "not_found")
    request = api.open_request()
    at = api.clock.now.isoformat()
    escalation = {"partner": "caf", "reason": "file blocked", "at": at, "referent_id": caf["id"]}
    sent = api.call("POST", f"/v1/requests/{request['id']}/escalations", "adviser", json=escalation)
    assert sent.status_code == 201, sent.text
    shown_to_user_side = api.call("GET", f"/v1/requests/{request['id']}", "adviser").text
    assert REFERENT["phone"] not in shown_to_user_side
    assert REFERENT["last_name"] not in shown_to_user_side
    wrong = api.call(
        "POST",
        f"/v1/requests/{request['id']}/escalations",
        "adviser",
        json=escalation | {"partner": "cpam"},
    )
    assert problem(wrong, 422, "invalid_input")["field"] == "referent_id"
    access = api.call("POST", "/v1/subjects/search", "dpo", json=MARTIN).text
    assert REFERENT["phone"] not in access


def test_annex_6_is_the_supervisors_csv(api: Api) -> None:
    appoint(api)
    api.catch_up()
    annex = api.call("GET", "/v1/referents/annex-6", "supervisor")
    assert annex.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(annex.text)))
    assert [(r["partner"], r["last_name"], r["email"]) for r in rows] == [
        ("caf", "Dubois", REFERENT["email"])
    ]
    assert api.call("GET", "/v1/referents/annex-6", "adviser").status_code == 403


def test_a_referent_who_leaves_is_destroyed_at_once(api: Api) -> None:
    caf = appoint(api)
    bad = api.call(
        "POST",
        "/v1/referents",
        "supervisor",
        json={"structure_id": HOME, "partner": "caf", "contact": REFERENT | {"email": "x"}},
    )
    assert problem(bad, 422, "invalid_input")["field"] == "contact.email"
    left = api.call("POST", f"/v1/referents/{caf['id']}/departure", "supervisor")
    assert left.status_code == 200, left.text
    assert (left.json()["active"], left.json()["contact"]) == (False, None)
    again = api.call("POST", f"/v1/referents/{caf['id']}/departure", "supervisor")
    problem(again, 409, "referent_left")
    api.catch_up()
    assert api.call("GET", "/v1/referents", "adviser").json() == []
    request = api.open_request()
    late = api.call(
        "POST",
        f"/v1/requests/{request['id']}/escalations",
        "adviser",
        json={
            "partner": "caf",
            "reason": "blocked",
            "at": api.clock.now.isoformat(),
            "referent_id": caf["id"],
        },
    )
    assert problem(late, 422, "invalid_input")["field"] == "referent_id"
