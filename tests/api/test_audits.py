"""ANCT flash audits through HTTP (Art. 4.7): pre-filled evidence from the ledger's own views,
assessed criteria, closure; the structure's supervisor reads it."""

from __future__ import annotations

from tests.api.test_contract import problem
from tests.builders import ADVISER, HOME, MARTIN, NOW, Api


def test_an_audit_is_prefilled_with_what_the_ledger_holds_then_assessed_and_closed(
    api: Api,
) -> None:
    ledger = api.services.ledger
    answered = api.open_request()
    api.call(
        "POST",
        f"/v1/requests/{answered['id']}/responses",
        "adviser",
        json={"at": NOW.isoformat(), "summary": "done"},
    )
    api.open_request(partner="cpam")
    ledger.satisfaction.record_answer(
        structure_code=HOME,
        channel="counter",
        answers={"overall": "satisfied"},
        actor=ADVISER,
        now=NOW,
    )
    ledger.complaints.receive_complaint(
        structure_code=HOME,
        channel="counter",
        topic="waiting",
        received_at=NOW,
        complainant=MARTIN,
        text="waited",
        actor=ADVISER,
        now=NOW,
    )
    api.clock.advance(days=1)
    api.catch_up()
    opened = api.call("POST", "/v1/audits", "admin", json={"structure_id": HOME})
    assert opened.status_code == 201, opened.text
    audit = opened.json()
    evidence = {c["code"]: c["evidence"] for c in audit["criteria"]}
    assert evidence["opening_hours"]["meets_minimum"] is True
    assert evidence["partners_served"]["requests_by_partner"]["caf"] == 1
    assert evidence["partners_served"]["national_partners_served"] == 2
    assert evidence["response_72h"]["answered_on_time"] == 1
    assert evidence["satisfaction_measured"]["questionnaires"] == 1
    assert evidence["complaints_register"]["received"] == 1
    assert evidence["referents_named"]["active"] == 0
    assert evidence["premises"] is None  # the auditor's own observation
    assert "Martin" not in opened.text
    path = f"/v1/audits/{audit['id']}"
    incomplete = api.call("POST", f"{path}/closure", "admin")
    problem(incomplete, 409, "audit_incomplete")
    for criterion in evidence:
        result = "not_met" if criterion == "referents_named" else "met"
        done = api.call(
            "POST",
            f"{path}/assessments",
            "admin",
            json={"criterion": criterion, "result": result, "remark": "constaté sur place"},
        )
        assert done.status_code == 200, done.text
    bad = api.call("POST", f"{path}/assessments", "admin", json={"criterion": "x", "result": "met"})
    assert problem(bad, 422, "invalid_input")["field"] == "criterion"
    closed = api.call("POST", f"{path}/closure", "admin").json()
    assert (closed["conform"], closed["closed_at"] is not None) == (False, True)
    api.catch_up()
    seen = api.call("GET", "/v1/audits", "supervisor").json()
    assert [(a["id"], a["conform"]) for a in seen] == [(audit["id"], False)]
    assert api.call("GET", "/v1/audits", "supervisor", "cahors").json() == []
    problem(api.call("GET", path, "supervisor", "cahors"), 404, "not_found")
