"""Each row of API.md through HTTP, on both backends, with the error codes it names."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.actor import SYSTEM
from domain.alert import AlertKind, AlertLevel
from store.tokens import TokenStore
from tests.builders import HOME, MARTIN, NOW, OTHER, Api, breach_body, mandate_body, structure_body

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body.keys() >= PROBLEM_KEYS
    assert body["code"] == code
    return body


# Structures ------------------------------------------------------------------------------------


def test_an_admin_registers_a_structure_and_reads_its_conformity(api: Api) -> None:
    created = api.call("POST", "/v1/structures", "admin", json=structure_body("figeac"))
    assert created.status_code == 201
    assert created.json()["id"] == "figeac"
    assert created.json()["conformity"] == {
        "weekly_hours": 25.0,
        "open_days": 5,
        "meets_minimum": True,
    }
    read = api.call("GET", "/v1/structures/figeac", "admin")
    assert read.status_code == 200
    assert read.json() == created.json()


def test_a_structure_is_registered_once(api: Api) -> None:
    response = api.call("POST", "/v1/structures", "admin", json=structure_body(HOME))
    problem(response, 409, "structure_exists")


def test_a_timetable_under_24_hours_is_recorded_and_shown_as_not_conform(api: Api) -> None:
    body = structure_body("lauzerte") | {
        "timetable": [{"weekday": 1, "opens": "09:00", "closes": "12:00"}]
    }
    created = api.call("POST", "/v1/structures", "admin", json=body)
    assert created.json()["conformity"]["meets_minimum"] is False


# Requests --------------------------------------------------------------------------------------


def test_opening_an_email_request_sets_its_72_working_hours_deadline(api: Api) -> None:
    created = api.open_request()
    assert created["status"] == "open"
    assert created["version"] == 1
    # Monday 10:00 in Paris: working time runs 24 hours a working day, so Thursday 10:00.
    assert datetime.fromisoformat(created["due_at"]) == datetime(2026, 11, 26, 9, tzinfo=UTC)


def test_a_counter_request_has_no_deadline(api: Api) -> None:
    assert api.open_request(channel="counter")["due_at"] is None


def test_the_worklist_lists_the_structures_requests_most_urgent_first(api: Api) -> None:
    counter = api.open_request(channel="counter")
    api.clock.advance(hours=1)
    later, first = api.open_request(), api.open_request(received_at=NOW.isoformat())
    api.open_request(structure=OTHER)
    api.respond(later["id"], "done")
    api.catch_up()
    listed = api.call("GET", "/v1/requests", "adviser")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [counter["id"], first["id"], later["id"]]
    assert [r["sla_state"] for r in listed.json()] == [None, "on_time", "met"]
    assert "Jeanne" not in listed.text
    met = api.call("GET", "/v1/requests", "adviser", params={"sla_state": "met"}).json()
    assert [r["id"] for r in met] == [later["id"]]
    page = api.call("GET", "/v1/requests", "adviser", params={"limit": 1, "offset": 1}).json()
    assert [r["id"] for r in page] == [first["id"]]
    foreign = api.call("GET", "/v1/requests", "adviser", params={"structure_id": OTHER})
    problem(foreign, 404, "not_found")


def test_reading_a_request_shows_the_user_and_records_the_access(api: Api) -> None:
    created = api.open_request()
    response = api.call("GET", f"/v1/requests/{created['id']}", "adviser")
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == MARTIN
    assert body["sla_state"] == "on_time"
    assert body["first_response_at"] is None
    assert response.headers["ETag"] == '"1"'
    api.catch_up()
    trail = api.call("GET", f"/v1/audit/events?request_id={created['id']}", "dpo").json()
    reads = [e for e in trail if e["action"] == "DataAccess.PersonalDataRead"]
    assert len(reads) == 1
    assert reads[0]["actor"] == "adviser-ana"
    assert reads[0]["purpose"] == "case_handling"
    assert reads[0]["legal_basis"] == "gdpr-6-1-e"
    assert reads[0]["endpoint"] == "GET /v1/requests/{id}"
    assert reads[0]["envelope_id"] == body["envelope_id"].replace("-", "")


def test_the_first_response_stops_the_sla_clock(api: Api) -> None:
    created = api.open_request()
    api.clock.advance(hours=2)
    at = api.clock.now.isoformat()
    response = api.call(
        "POST",
        f"/v1/requests/{created['id']}/responses",
        "adviser",
        json={"at": at, "summary": "documents listed"},
    )
    assert response.status_code == 201
    assert response.json()["first_response_at"] is not None
    read = api.call("GET", f"/v1/requests/{created['id']}", "adviser").json()
    assert read["sla_state"] == "met"
    assert read["status"] == "answered"


def test_acting_on_behalf_needs_a_mandate(api: Api) -> None:
    created = api.open_request()
    action = {
        "partner": "caf",
        "scope": "act_on_behalf",
        "procedure": "rsa_renewal",
        "at": NOW.isoformat(),
    }
    response = api.call("POST", f"/v1/requests/{created['id']}/actions", "adviser", json=action)
    problem(response, 409, "mandate_required")


def test_acting_under_a_covering_mandate_is_recorded(api: Api) -> None:
    created, mandate = api.open_request(), api.sign_mandate()
    action = {
        "mandate_id": mandate["id"],
        "partner": "caf",
        "scope": "act_on_behalf",
        "procedure": "rsa_renewal",
        "at": NOW.isoformat(),
    }
    response = api.call("POST", f"/v1/requests/{created['id']}/actions", "adviser", json=action)
    assert response.status_code == 201
    assert response.json()["version"] == 2
    read = api.call("GET", f"/v1/mandates/{mandate['id']}", "adviser").json()
    assert read["uses"] == 1


def test_acting_under_another_persons_mandate_is_refused_on_both_sides(api: Api) -> None:
    created = api.open_request()
    other = api.sign_mandate(mandant={"first_name": "Autre", "last_name": "Personne"})
    action = {
        "mandate_id": other["id"],
        "partner": "caf",
        "scope": "act_on_behalf",
        "procedure": "rsa_renewal",
        "at": NOW.isoformat(),
    }
    before = api.position()
    response = api.call("POST", f"/v1/requests/{created['id']}/actions", "adviser", json=action)
    problem(response, 409, "mandate_other_person")
    assert api.position() == before
    assert api.call("GET", f"/v1/mandates/{other['id']}", "adviser").json()["uses"] == 0


def test_acting_under_a_revoked_an_expired_or_a_narrower_mandate_is_refused(api: Api) -> None:
    created = api.open_request()
    path = f"/v1/requests/{created['id']}/actions"
    revoked = api.sign_mandate()
    api.call(
        "POST",
        f"/v1/mandates/{revoked['id']}/revocation",
        "adviser",
        json={
            "at": NOW.isoformat(),
            "requested_by": "mandant",
            "channel": "counter",
            "reason": "changed her mind",
        },
    )
    narrow = api.sign_mandate(scopes=[{"partner": "caf", "kinds": ["data_communication"]}])
    expiring = api.sign_mandate(valid_until=(NOW + timedelta(days=1)).isoformat())

    def act(mandate_id: str) -> object:
        return api.call(
            "POST",
            path,
            "adviser",
            json={
                "mandate_id": mandate_id,
                "partner": "caf",
                "scope": "act_on_behalf",
                "procedure": "rsa",
                "at": api.clock.now.isoformat(),
            },
        )

    problem(act(revoked["id"]), 409, "mandate_revoked")
    problem(act(narrow["id"]), 409, "mandate_out_of_scope")
    api.clock.advance(days=2)
    problem(act(expiring["id"]), 409, "mandate_expired")


def test_an_escalation_is_recorded(api: Api) -> None:
    created = api.open_request()
    response = api.call(
        "POST",
        f"/v1/requests/{created['id']}/escalations",
        "adviser",
        json={"partner": "caf", "reason": "file blocked", "at": NOW.isoformat()},
    )
    assert response.status_code == 201
    assert response.json()["status"] == "escalated"


def test_resolution_gives_the_destruction_due_date(api: Api) -> None:
    created = api.open_request()
    response = api.call(
        "POST",
        f"/v1/requests/{created['id']}/resolution",
        "adviser",
        json={"outcome": "solved", "at": NOW.isoformat()},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert datetime.fromisoformat(response.json()["destruction_due_at"]) == NOW  # no grace
    again = api.call(
        "POST",
        f"/v1/requests/{created['id']}/responses",
        "adviser",
        json={"at": NOW.isoformat(), "summary": "late note"},
    )
    problem(again, 409, "request_resolved")


def test_history_lists_events_without_personal_data_and_the_state_as_of(api: Api) -> None:
    created = api.open_request()
    opened_at = api.clock.now
    api.clock.advance(hours=1)
    api.respond(created["id"], "secret summary about Jeanne")
    full = api.call("GET", f"/v1/requests/{created['id']}/history", "supervisor")
    assert full.status_code == 200
    events = full.json()["events"]
    assert [e["type"] for e in events] == ["Request.Opened", "Request.Responded"]
    assert events[0]["actor"] == {"name": "adviser-ana", "role": "adviser"}
    assert events[0]["data"]["structure_id"] == HOME  # its code, not its internal id
    assert events[0]["position"] < events[1]["position"]
    assert "Jeanne" not in full.text
    assert "Martin" not in full.text
    assert full.json()["state"]["status"] == "answered"
    earlier = api.call(
        "GET",
        f"/v1/requests/{created['id']}/history",
        "supervisor",
        params={"as_of": (opened_at + timedelta(minutes=5)).isoformat()},
    ).json()
    assert [e["type"] for e in earlier["events"]] == ["Request.Opened"]
    assert earlier["state"]["status"] == "open"
    assert earlier["state"]["sla_state"] == "on_time"


# Mandates --------------------------------------------------------------------------------------


def test_a_mandate_is_signed_active_and_read_with_its_scopes(api: Api) -> None:
    signed = api.sign_mandate()
    assert signed["status"] == "active"
    read = api.call("GET", f"/v1/mandates/{signed['id']}", "adviser")
    assert read.status_code == 200
    body = read.json()
    assert body["scopes"] == [{"partner": "caf", "kinds": ["act_on_behalf", "data_communication"]}]
    assert body["revoked_at"] is None
    assert body["mandant"] == MARTIN


def test_a_mandate_without_a_precondition_is_refused_naming_it(api: Api) -> None:
    for missing, field in (
        ({"identity_verification": None}, "identity_verification.document_type"),
        ({"information_notice": None}, "information_notice.version"),
        ({"signed_on_site": False}, "signed_on_site"),
        ({"originals": 1}, "originals"),
        ({"signed_document_sha256": None}, "signed_document_sha256"),
    ):
        before = api.position()

        response = api.call("POST", "/v1/mandates", "adviser", json=mandate_body(NOW) | missing)
        body = problem(response, 422, "mandate_precondition_missing")
        assert body["field"] == field
        assert api.position() == before


def test_every_problem_of_a_mandate_body_is_named_at_once(api: Api) -> None:
    body = mandate_body(NOW) | {
        "information_notice": None,
        "originals": 1,
        "signed_document_sha256": "not-a-hash",
        "scopes": [{"partner": "atlantis", "kinds": ["act_on_behalf"]}],
    }
    before = api.position()
    refused = problem(
        api.call("POST", "/v1/mandates", "adviser", json=body), 422, "mandate_precondition_missing"
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("information_notice.version", "mandate_precondition_missing"),
        ("originals", "mandate_precondition_missing"),
        ("signed_document_sha256", "invalid_input"),
        ("scopes[0].partner", "invalid_input"),
    ]
    assert api.position() == before


def test_revocation_is_immediate(api: Api) -> None:
    signed = api.sign_mandate()
    response = api.call(
        "POST",
        f"/v1/mandates/{signed['id']}/revocation",
        "adviser",
        json={
            "at": NOW.isoformat(),
            "requested_by": "mandant",
            "channel": "counter",
            "reason": "changed her mind",
        },
    )
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert api.call("GET", f"/v1/mandates/{signed['id']}", "adviser").json()["revoked_at"]


# Breaches --------------------------------------------------------------------------------------


def test_a_breach_is_declared_with_its_cnil_deadline(api: Api) -> None:
    declared = api.declare_breach()
    assert declared["cnil_deadline"].startswith((NOW + timedelta(hours=72)).date().isoformat())
    path = f"/v1/breaches/{declared['id']}"
    assessed = api.call(
        "POST", f"{path}/risk-assessment", "dpo", json={"level": "high", "rationale": "ids"}
    )
    assert assessed.status_code == 200
    assert assessed.json()["risk_level"] == "high"
    notified = api.call(
        "POST",
        f"{path}/cnil-notifications",
        "dpo",
        json={"phase": "initial", "at": NOW.isoformat(), "reference": "CNIL-1"},
    )
    assert notified.status_code == 201
    api.catch_up()
    register = api.call("GET", "/v1/breaches", "dpo").json()
    assert [(b["id"], b["state"]) for b in register] == [(declared["id"], "notified")]


def test_a_late_initial_notification_needs_its_reason(api: Api) -> None:
    declared = api.declare_breach()
    api.clock.advance(hours=80)
    path = f"/v1/breaches/{declared['id']}/cnil-notifications"
    late = {"phase": "initial", "at": api.clock.now.isoformat(), "reference": "CNIL-2"}
    problem(api.call("POST", path, "dpo", json=late), 422, "late_reason_required")
    with_reason = api.call("POST", path, "dpo", json=late | {"late_reason": "found late"})
    assert with_reason.status_code == 201


def test_the_register_shows_remaining_seconds_and_filters_by_state(api: Api) -> None:
    declared = api.declare_breach()
    api.catch_up()
    api.clock.advance(hours=60)
    due_soon = api.call("GET", "/v1/breaches", "dpo", params={"state": "due_soon"}).json()
    assert [b["id"] for b in due_soon] == [declared["id"]]
    assert due_soon[0]["remaining_seconds"] == 12 * 3600
    assert api.call("GET", "/v1/breaches", "dpo", params={"state": "overdue"}).json() == []


# Envelopes -------------------------------------------------------------------------------------


def test_destruction_removes_the_personal_data_everywhere_it_is_shown(api: Api) -> None:
    created = api.open_request()
    envelope = api.call("GET", f"/v1/requests/{created['id']}", "adviser").json()["envelope_id"]
    response = api.destroy(envelope)
    assert response.status_code == 200
    assert response.json()["destroyed_at"] == NOW.isoformat().replace("+00:00", "Z")
    read = api.call("GET", f"/v1/requests/{created['id']}", "adviser").json()
    assert read["user"] == {"destroyed_at": response.json()["destroyed_at"]}
    again = api.call(
        "POST",
        f"/v1/envelopes/{envelope}/destruction",
        "dpo",
        json={"reason": "data_subject_request"},
    )
    assert again.json()["destroyed_at"] == response.json()["destroyed_at"]
    unknown = api.call(
        "POST", f"/v1/envelopes/{'0' * 32}/destruction", "dpo", json={"reason": "retention_expired"}
    )
    problem(unknown, 404, "not_found")


# Views -----------------------------------------------------------------------------------------


def test_the_sla_dashboard_counts_the_structures_requests(api: Api) -> None:
    answered, _open = api.open_request(), api.open_request()
    api.open_request(structure=OTHER)
    api.call(
        "POST",
        f"/v1/requests/{answered['id']}/responses",
        "adviser",
        json={"at": NOW.isoformat(), "summary": "done"},
    )
    api.catch_up()
    response = api.call("GET", "/v1/dashboards/sla", "supervisor", params={"structure_id": HOME})
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["answered_on_time"], body["answered_late"]) == (2, 1, 0)
    assert (body["open_on_time"], body["open_overdue"]) == (1, 0)
    assert body["on_time_rate"] == 1.0
    assert [p["partner"] for p in body["by_partner"]] == ["caf"]
    assert [c["channel"] for c in body["by_channel"]] == ["email"]


def test_the_audit_trail_filters_and_exports_csv_without_personal_data(api: Api) -> None:
    created = api.open_request()
    api.open_request()
    api.catch_up()
    as_json = api.call("GET", "/v1/audit/events", "dpo", params={"request_id": created["id"]})
    assert as_json.status_code == 200
    assert [e["action"] for e in as_json.json()] == ["Request.Opened"]
    entry = as_json.json()[0]
    assert {"position", "at", "actor", "role", "action"} <= entry.keys()
    as_csv = api.call("GET", "/v1/audit/events", "dpo", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["action"] for r in rows].count("Request.Opened") == 2
    assert "Jeanne" not in as_csv.text
    assert "Jeanne" not in as_json.text
    by_actor = api.call("GET", "/v1/audit/events", "dpo", params={"actor": "nobody"})
    assert by_actor.json() == []


def test_integrity_reports_the_verified_chain(api: Api) -> None:
    api.open_request()
    api.catch_up()
    body = api.call("GET", "/v1/audit/integrity", "dpo").json()
    assert body == {
        "ok": True,
        "verified_through": api.position(),
        "first_bad_position": None,
        "lag": 0,
    }


def test_alerts_are_listed_by_kind_and_status(api: Api) -> None:

    created = api.open_request()
    ledger = api.services.ledger
    ledger.alerts.raise_alert(
        kind=AlertKind.SLA,
        subject_id=UUID(created["id"]),
        due_at=NOW + timedelta(days=3),
        level=AlertLevel.WARNING,
        actor=SYSTEM,
        now=NOW,
    )
    api.catch_up()
    listed = api.call("GET", "/v1/alerts", "dpo", params={"kind": "sla", "status": "open"})
    assert [(a["kind"], a["subject_id"], a["level"]) for a in listed.json()] == [
        ("sla", UUID(created["id"]).hex, "warning")
    ]
    assert {"id", "raised_at", "due_at"} <= listed.json()[0].keys()
    own = api.call("GET", "/v1/alerts", "supervisor").json()
    assert len(own) == 1
    assert api.call("GET", "/v1/alerts", "supervisor", OTHER).json() == []


def test_the_quarterly_report_is_json_and_csv(api: Api) -> None:
    api.open_request(channel="counter")
    api.open_request()
    api.catch_up()
    report = api.call("GET", "/v1/reports/quarterly", "supervisor", params={"quarter": "2026-Q4"})
    assert report.status_code == 200
    assert report.json()["structure_id"] == HOME
    assert report.json()["visits"] == 1
    assert report.json()["requests"] == 2
    as_csv = api.call(
        "GET",
        "/v1/reports/quarterly",
        "supervisor",
        params={"quarter": "2026-Q4", "format": "csv", "structure_id": HOME},
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert sum(int(r["requests"]) for r in rows) == 2
    assert {r["structure_id"] for r in rows} == {HOME}
    bad = api.call("GET", "/v1/reports/quarterly", "supervisor", params={"quarter": "2026-5"})
    assert problem(bad, 422, "invalid_input")["field"] == "quarter"


def test_the_yearly_report_is_scoped_to_the_caller_in_json_csv_and_pdf(api: Api) -> None:
    api.open_request(channel="counter")
    api.open_request()
    api.open_request(OTHER)
    api.catch_up()
    own = api.call("GET", "/v1/reports/yearly", "supervisor", params={"year": 2026}).json()
    (department,) = own["departments"]
    assert [s["structure_id"] for s in department["structures"]] == [HOME]
    assert department["totals"]["requests"] == 2
    assert department["totals"]["visits"] == 1
    assert own["breaches"] is None  # the data controller's, not a structure's
    every = api.call("GET", "/v1/reports/yearly", "dpo", None, params={"year": 2026}).json()
    codes = {s["structure_id"] for d in every["departments"] for s in d["structures"]}
    assert codes == {HOME, OTHER}
    assert every["breaches"]["declared"] == 0
    for fmt, media in (("csv", "text/csv"), ("pdf", "application/pdf")):
        answer = api.call(
            "GET", "/v1/reports/yearly", "admin", None, params={"year": 2026, "format": fmt}
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(media)
        assert f'filename="rapport-annuel-2026.{fmt}"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"%PDF")
    for params, field in (({"year": 1999}, "year"), ({"year": 2026, "format": "xml"}, "format")):
        bad = api.call("GET", "/v1/reports/yearly", "supervisor", params=params)
        assert problem(bad, 422, "invalid_input")["field"] == field


def test_health_reports_the_store_and_each_views_lag(api: Api) -> None:
    api.open_request()
    body = api.client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["store"]["position"] == api.position()
    assert body["projections"]["sla"] == api.position()
    api.catch_up()
    assert set(api.client.get("/v1/health").json()["projections"].values()) == {0}


# Authentication --------------------------------------------------------------------------------


def test_no_token_or_a_bad_or_revoked_one_is_401(api: Api) -> None:
    problem(api.client.get(f"/v1/structures/{HOME}"), 401, "unauthorized")
    bad = {"Authorization": "Bearer fsl_not-a-token"}
    problem(api.client.get(f"/v1/structures/{HOME}", headers=bad), 401, "unauthorized")

    TokenStore(api.services.views).revoke("admin-paul", NOW)
    problem(api.call("GET", f"/v1/structures/{HOME}", "admin"), 401, "unauthorized")


def test_the_events_carry_the_callers_token_name_and_role(api: Api) -> None:
    created = api.open_request()
    history = api.call("GET", f"/v1/requests/{created['id']}/history", "supervisor").json()
    assert history["events"][0]["actor"] == {"name": "adviser-ana", "role": "adviser"}


# Access requests (GDPR 15) ---------------------------------------------------------------------


def test_a_dpo_finds_a_persons_envelopes_and_reads_them_for_an_access_request(api: Api) -> None:
    request = api.open_request()
    mandate = api.sign_mandate(structure=OTHER)
    api.open_request(user={"first_name": "Paul", "last_name": "Autre"})
    spelled = {"first_name": "JEANNE", "last_name": "martin", "birth_date": "1950-02-03"}
    found = api.call("POST", "/v1/subjects/search", "dpo", json=spelled)
    assert found.status_code == 200
    assert sorted((f["kind"], f["id"], f["structure_id"]) for f in found.json()) == [
        ("mandate", mandate["id"], OTHER),
        ("request", request["id"], HOME),
    ]
    case_work = api.call("GET", f"/v1/requests/{request['id']}", "dpo")
    problem(case_work, 403, "forbidden")
    read = api.call(
        "GET",
        f"/v1/requests/{request['id']}",
        "dpo",
        params={"purpose": "subject_access_request"},
    )
    assert read.json()["user"] == MARTIN
    api.catch_up()
    trail = api.call("GET", "/v1/audit/events", "dpo", params={"request_id": request["id"]})
    reads = [e for e in trail.json() if e["action"] == "DataAccess.PersonalDataRead"]
    assert [(r["endpoint"], r["actor"], r["purpose"], r["legal_basis"]) for r in reads] == [
        ("POST /v1/subjects/search", "dpo-lea", "subject_access_request", "gdpr-15"),
        ("GET /v1/requests/{id}", "dpo-lea", "subject_access_request", "gdpr-15"),
    ]


# Beyond API.md: the rest of each workflow ------------------------------------------------------


def test_a_timetable_change_is_announced_and_takes_effect_later(api: Api) -> None:
    later = NOW + timedelta(days=7)
    slots = [{"weekday": d, "opens": "08:00", "closes": "14:00"} for d in range(1, 6)]
    path = f"/v1/structures/{HOME}/timetable"
    changed = api.call(
        "PUT", path, "admin", json={"timetable": slots, "effective_from": later.isoformat()}
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] == '"2"'
    for shown in (changed.json(), api.call("GET", f"/v1/structures/{HOME}", "adviser").json()):
        assert shown["conformity"]["weekly_hours"] == 25.0  # the timetable in force
        (announced,) = shown["announced"]
        assert datetime.fromisoformat(announced["effective_from"]) == later
        assert announced["timetable"] == slots
        assert announced["conformity"]["weekly_hours"] == 30.0
    api.clock.advance(days=8)
    in_force = api.call("GET", f"/v1/structures/{HOME}", "adviser").json()
    assert (in_force["conformity"]["weekly_hours"], in_force["announced"]) == (30.0, [])
    past = api.call(
        "PUT",
        path,
        "admin",
        json={"timetable": slots, "effective_from": (NOW - timedelta(days=1)).isoformat()},
    )
    assert past.status_code == 409


def test_a_request_is_assigned_answered_by_the_partner_resolved_and_reopened(api: Api) -> None:
    created = api.open_request()
    path = f"/v1/requests/{created['id']}"
    assigned = api.call("POST", f"{path}/assignment", "adviser", json={"adviser": "adviser-bob"})
    assert assigned.status_code == 200
    escalation = {"partner": "caf", "reason": "file blocked", "at": NOW.isoformat()}
    assert api.call("POST", f"{path}/escalations", "adviser", json=escalation).status_code == 201
    answer = {"partner": "caf", "summary": "rights opened", "at": NOW.isoformat()}
    assert api.call("POST", f"{path}/partner-answers", "adviser", json=answer).status_code == 201
    resolution = {"outcome": "solved", "at": NOW.isoformat()}
    assert api.call("POST", f"{path}/resolution", "adviser", json=resolution).status_code == 200
    reopened = api.call(
        "POST", f"{path}/reopening", "adviser", json={"reason": "new letter", "at": NOW.isoformat()}
    )
    assert reopened.status_code == 200
    assert reopened.json()["status"] != "resolved"
    history = api.call("GET", f"{path}/history", "supervisor").json()
    assert [e["type"] for e in history["events"]] == [
        "Request.Opened",
        "Request.AdviserAssigned",
        "Request.Escalated",
        "Request.PartnerAnswered",
        "Request.Resolved",
        "Request.Reopened",
    ]


def test_a_breach_is_followed_through_to_its_closure(api: Api) -> None:
    declared = api.declare_breach()
    path = f"/v1/breaches/{declared['id']}"
    problem(
        api.call("POST", f"{path}/closure", "dpo", json={"at": NOW.isoformat()}),
        409,
        "risk_not_assessed",
    )
    api.call("POST", f"{path}/risk-assessment", "dpo", json={"level": "high", "rationale": "ids"})
    notification = {"phase": "initial", "at": NOW.isoformat(), "reference": "CNIL-3"}
    api.call("POST", f"{path}/cnil-notifications", "dpo", json=notification)
    informed = api.call(
        "POST",
        f"{path}/subject-information",
        "dpo",
        json={"at": NOW.isoformat(), "channel": "letter"},
    )
    assert informed.json()["subjects_informed_at"] is not None
    closed = api.call("POST", f"{path}/closure", "dpo", json={"at": NOW.isoformat()})
    assert closed.status_code == 200
    read = api.call("GET", path, "dpo").json()
    assert read["closed_at"] is not None
    assert [n["phase"] for n in read["notifications"]] == ["initial"]


def test_subjects_may_be_exempted_from_information_with_a_ground(api: Api) -> None:
    declared = api.declare_breach()
    exemption = {"ground": "unintelligible", "rationale": "the disk was encrypted"}
    response = api.call(
        "POST", f"/v1/breaches/{declared['id']}/subject-exemption", "dpo", json=exemption
    )
    assert response.json()["subjects_exemption"] == "unintelligible"


def test_alerts_are_acknowledged_by_their_structures_supervisor_only(api: Api) -> None:

    created = api.open_request()
    alert, _ = api.services.ledger.alerts.raise_alert(
        kind=AlertKind.SLA,
        subject_id=UUID(created["id"]),
        due_at=NOW + timedelta(days=3),
        level=AlertLevel.WARNING,
        actor=SYSTEM,
        now=NOW,
    )
    path = f"/v1/alerts/{alert.id.hex}/acknowledgement"
    problem(api.call("POST", path, "supervisor", OTHER), 404, "not_found")
    acknowledged = api.call("POST", path, "supervisor")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"] == "supervisor-sam"
    problem(api.call("POST", path, "dpo"), 409, "alert_acknowledged")
    api.catch_up()
    listed = api.call("GET", "/v1/alerts", "dpo", params={"status": "acknowledged"}).json()
    assert [a["id"] for a in listed] == [alert.id.hex]


def test_the_destruction_queue_shows_a_dpo_what_falls_due_and_why(api: Api) -> None:
    created = api.open_request()
    resolution = api.call(
        "POST",
        f"/v1/requests/{created['id']}/resolution",
        "adviser",
        json={"outcome": "solved", "at": NOW.isoformat()},
    )
    assert resolution.status_code == 200
    api.sign_mandate()
    api.catch_up()
    queue = api.call("GET", "/v1/envelopes/due", "dpo")
    assert queue.status_code == 200
    (due,) = queue.json()
    assert due["kind"] == "request"
    assert due["id"] == created["id"]
    assert due["reason"] == "procedure_resolved"
    assert due["structure_id"] == HOME
    assert datetime.fromisoformat(due["due_at"]) == NOW
    later = (NOW + timedelta(days=7 * 366)).isoformat()
    everything = api.call("GET", "/v1/envelopes/due", "dpo", params={"before": later}).json()
    assert [(d["kind"], d["reason"]) for d in everything] == [
        ("request", "procedure_resolved"),
        ("mandate", "retention_expired"),
    ]
    assert set(everything[0]) == {"envelope_id", "kind", "id", "structure_id", "due_at", "reason"}


def test_health_is_degraded_when_the_scheduler_has_not_ticked_for_two_intervals(
    api: Api,
) -> None:
    assert api.client.get("/v1/health").json()["scheduler"]["late"] is False
    api.clock.advance(minutes=3)
    body = api.client.get("/v1/health").json()
    assert body["status"] == "degraded"
    assert body["scheduler"] == {"last_tick_at": None, "late": True}


@pytest.mark.parametrize("role", ["adviser", "supervisor"])
def test_the_subject_access_purpose_is_the_dpos_only(api: Api, role: str) -> None:
    created = api.open_request()
    mandate = api.sign_mandate()
    before = api.position()
    for path in (f"/v1/requests/{created['id']}", f"/v1/mandates/{mandate['id']}"):
        refused = api.call("GET", path, role, params={"purpose": "subject_access_request"})
        problem(refused, 403, "forbidden")
    assert api.position() == before


def test_a_breach_reads_back_every_gdpr_33_3_fact_and_its_timeline(api: Api) -> None:
    declared = api.declare_breach()
    path = f"/v1/breaches/{declared['id']}"
    api.call("POST", f"{path}/risk-assessment", "dpo", json={"level": "high", "rationale": "ids"})
    late = (NOW + timedelta(hours=1)).isoformat()
    api.clock.advance(hours=2)
    notified = api.call(
        "POST",
        f"{path}/cnil-notifications",
        "dpo",
        json={"phase": "initial", "at": late, "reference": "CNIL-7"},
    )
    assert notified.status_code == 201
    body = api.call("GET", path, "dpo").json()
    facts = breach_body(NOW)
    for field in (
        "description",
        "data_categories",
        "subject_categories",
        "approx_subjects",
        "approx_records",
        "likely_consequences",
        "measures",
        "contact",
    ):
        assert body[field] == facts[field], field
    assert body["nature"] == facts["nature"]
    assert (body["risk_level"], body["risk_rationale"]) == ("high", "ids")
    assert [step["step"] for step in body["timeline"]] == [
        "declared",
        "risk_assessed",
        "cnil_notified",
    ]
    assert body["timeline"][2]["reference"] == "CNIL-7"


def test_the_breach_register_documents_every_breach_in_json_and_csv(api: Api) -> None:
    first = api.declare_breach()
    api.clock.advance(hours=1)
    second = api.declare_breach(
        description="a second incident, not notified",
        aware_at=(NOW + timedelta(minutes=30)).isoformat(),
    )
    api.call(
        "POST",
        f"/v1/breaches/{second['id']}/risk-assessment",
        "dpo",
        json={"level": "none", "rationale": "encrypted laptop"},
    )
    api.catch_up()
    listed = api.call("GET", "/v1/breaches/register", "dpo")
    assert listed.status_code == 200
    assert [b["id"] for b in listed.json()] == [first["id"], second["id"]]
    assert listed.json()[1]["notification_required"] is False
    as_csv = api.call("GET", "/v1/breaches/register", "dpo", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["description"] for r in rows] == [
        breach_body(NOW)["description"],
        "a second incident, not notified",
    ]
    assert rows[1]["risk_rationale"] == "encrypted laptop"
    assert api.call("GET", "/v1/breaches/register", "supervisor").status_code == 403


def test_the_docs_page_works_without_internet(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert [s for s in sources if s.startswith(("http:", "https:", "//"))] == []
    for source in sources:
        assert api.client.get(source).status_code == 200, source


def test_the_openapi_document_lists_every_refusal_as_a_problem(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    operation = document["paths"]["/v1/requests"]["post"]
    for status in ("401", "403", "404", "409", "412", "413", "422"):
        content = operation["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], status
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }


CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")
LOOKS_LIKE_AN_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def instants_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if LOOKS_LIKE_AN_INSTANT.match(value) else []
    if isinstance(value, dict):
        return [i for item in value.values() for i in instants_in(item)]
    if isinstance(value, list):
        return [i for item in value for i in instants_in(item)]
    return []


def test_every_instant_in_every_answer_is_utc_with_z(api: Api) -> None:
    created = api.open_request(received_at="2026-11-23T10:00:00+01:00")
    api.clock.advance(hours=1)
    api.respond(created["id"])
    mandate = api.sign_mandate()
    breach = api.declare_breach()
    api.catch_up()
    answers = [
        api.call("GET", f"/v1/requests/{created['id']}", "adviser").json(),
        api.call("GET", "/v1/requests", "adviser").json(),
        api.call("GET", f"/v1/requests/{created['id']}/history", "supervisor").json(),
        api.call("GET", f"/v1/mandates/{mandate['id']}", "adviser").json(),
        api.call("GET", f"/v1/breaches/{breach['id']}", "dpo").json(),
        api.call("GET", "/v1/breaches", "dpo").json(),
        api.call("GET", "/v1/audit/events", "dpo").json(),
        api.call(
            "GET", "/v1/envelopes/due", "dpo", params={"before": "2030-01-01T00:00:00Z"}
        ).json(),
    ]
    found = instants_in(answers)
    assert len(found) > 20
    assert [i for i in found if not CANONICAL.match(i)] == []
    as_csv = api.call("GET", "/v1/audit/events", "dpo", params={"format": "csv"}).text
    ats = [row["at"] for row in csv.DictReader(io.StringIO(as_csv))]
    assert ats
    assert [a for a in ats if not CANONICAL.match(a)] == []
