"""The complaints register through HTTP (Art. 4.7): entered, listed without personal data,
read (and the read recorded), answered once, late when past its deadline, destroyed by the DPO."""

from __future__ import annotations

from uuid import UUID

from tests.api.test_contract import problem
from tests.builders import HOME, MARTIN, NOW, Api


def receive(api: Api, **overrides: object) -> dict[str, object]:
    body = {
        "structure_id": HOME,
        "channel": "counter",
        "topic": "waiting",
        "received_at": NOW.isoformat(),
        "complainant": MARTIN,
        "text": "Mme Martin waited two hours",
    } | overrides
    response = api.call("POST", "/v1/complaints", "adviser", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_complaint_is_entered_read_answered_and_listed_by_state(api: Api) -> None:
    complaint = receive(api)
    assert complaint["state"] == "open"
    assert complaint["answer_due_at"] == "2026-12-23T09:00:00Z"
    assert "complainant" not in complaint or complaint["complainant"] is None
    before = api.position()
    read = api.call("GET", f"/v1/complaints/{complaint['id']}", "adviser")
    assert read.json()["complainant"] == MARTIN
    assert read.json()["text"] == "Mme Martin waited two hours"
    assert api.position() == before + 1  # the read is recorded
    api.catch_up()
    envelope = api.services.ledger.complaints.get(UUID(str(complaint["id"]))).envelope_id
    audit = api.call("GET", "/v1/audit/events", "dpo", params={"envelope_id": envelope.hex})
    assert [e["action"] for e in audit.json()] == [
        "Complaint.Received",
        "DataAccess.PersonalDataRead",
    ]
    api.clock.advance(days=31)
    late = api.call(
        "POST",
        f"/v1/complaints/{complaint['id']}/answer",
        "adviser",
        json={"at": api.clock.now.isoformat(), "answer": "we are sorry"},
    )
    assert late.status_code == 200, late.text
    assert (late.json()["state"], late.json()["answered_late"]) == ("answered_late", True)
    again = api.call(
        "POST",
        f"/v1/complaints/{complaint['id']}/answer",
        "adviser",
        json={"at": api.clock.now.isoformat(), "answer": "again"},
    )
    problem(again, 409, "complaint_answered")
    waiting = receive(api, received_at=api.clock.now.isoformat(), topic="welcome")
    api.catch_up()
    listed = api.call("GET", "/v1/complaints", "supervisor").json()
    assert [(c["id"], c["state"]) for c in listed] == [
        (waiting["id"], "open"),
        (complaint["id"], "answered_late"),
    ]
    assert "Martin" not in str(listed)
    overdue = api.call("GET", "/v1/complaints", "adviser", params={"state": "overdue"}).json()
    assert overdue == []


def test_bad_complaints_are_named_and_other_structures_see_nothing(api: Api) -> None:
    bad = api.call(
        "POST",
        "/v1/complaints",
        "adviser",
        json={
            "structure_id": HOME,
            "channel": "counter",
            "topic": "noise",
            "received_at": NOW.isoformat(),
            "complainant": {"first_name": "J"},
            "text": "",
        },
    )
    assert problem(bad, 422, "invalid_input")
    complaint = receive(api)
    foreign = api.call("GET", f"/v1/complaints/{complaint['id']}", "adviser", "cahors")
    problem(foreign, 404, "not_found")
    assert "Martin" not in foreign.text


def test_the_dpo_destroys_a_complaints_data(api: Api) -> None:
    complaint = receive(api)
    envelope = api.services.ledger.complaints.get(UUID(str(complaint["id"]))).envelope_id
    destroyed = api.call(
        "POST",
        f"/v1/envelopes/{envelope.hex}/destruction",
        "dpo",
        json={"reason": "data_subject_request"},
    )
    assert destroyed.status_code == 200, destroyed.text
    read = api.call("GET", f"/v1/complaints/{complaint['id']}", "adviser").json()
    assert (read["complainant"], read["text"]) == (None, None)
    assert read["destroyed_at"] is not None


def test_an_access_request_finds_the_persons_complaints_and_the_dpo_reads_them(api: Api) -> None:
    """GDPR 15: a complaint holds its author's identity and words, so the DPO's search finds it
    with the person's cases, and the DPO reads it for that purpose only (each read recorded)."""
    complaint = receive(api)
    api.open_request()
    found = api.call("POST", "/v1/subjects/search", "dpo", None, json=MARTIN).json()
    assert {f["kind"] for f in found} == {"complaint", "request"}
    (listed,) = [f for f in found if f["kind"] == "complaint"]
    assert listed["id"] == complaint["id"]
    assert listed["structure_id"] == HOME
    url = f"/v1/complaints/{complaint['id']}"
    problem(api.call("GET", url, "dpo", None), 403, "forbidden")  # DPOs do no case work
    problem(
        api.call("GET", url, "adviser", params={"purpose": "subject_access_request"}),
        403,
        "forbidden",
    )
    before = api.position()
    read = api.call("GET", url, "dpo", None, params={"purpose": "subject_access_request"})
    assert read.status_code == 200, read.text
    assert read.json()["complainant"] == MARTIN
    assert read.json()["text"] == "Mme Martin waited two hours"
    assert api.position() == before + 1
    api.catch_up()
    envelope = api.services.ledger.complaints.get(UUID(str(complaint["id"]))).envelope_id
    audit = api.call("GET", "/v1/audit/events", "dpo", params={"envelope_id": envelope.hex})
    assert [e.get("purpose") for e in audit.json()][-1] == "subject_access_request"
