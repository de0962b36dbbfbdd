"""Bad input gets a 4xx naming the field and changes nothing; concurrency is visible (ETag,
If-Match, 412, 409); logs and error bodies carry no personal data."""

from __future__ import annotations

import json
import logging
from typing import Any
from uuid import UUID

import pytest
import structlog

from domain.actor import Actor
from domain.errors import VersionConflict
from domain.request import Request
from runtime.logs import configure_logging
from tests.builders import HOME, MARTIN, Api, mandate_body

OTHER = Actor(name="adviser-bo", role="adviser")

GOOD_REQUEST = {
    "structure_id": HOME,
    "channel": "email",
    "partner": "caf",
    "mission": "information",
    "theme": "rsa",
    "received_at": "2026-11-23T10:00:00+01:00",
    "user": MARTIN,
}


def refused(api: Api, response: Any, status: int, field: str, before: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["field"] == field
    assert api.position() == before, "a refused call recorded something"
    return body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"mission": "everything"}, "mission"),
        ({"received_at": "2026-11-23T10:00:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"user": {"first_name": "Jeanne"}}, "user.last_name"),
        ({"partner": "Not A Code"}, "partner"),
        ({"partner": "unknown_partner"}, "partner"),
        ({"structure_id": None}, "structure_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_request_body_names_the_field_and_records_nothing(
    api: Api, change: dict[str, Any], field: str
) -> None:
    before = api.position()
    response = api.call("POST", "/v1/requests", "adviser", json=GOOD_REQUEST | change)
    body = refused(api, response, 422, field, before)
    assert "Jeanne" not in json.dumps(body)


def test_a_malformed_body_is_422_on_the_body(api: Api) -> None:
    before = api.position()
    response = api.call(
        "POST",
        "/v1/requests",
        "adviser",
        content=b'{"structure_id": "montauban", "user": {"first_name": "Jeanne"',
        headers={"content-type": "application/json"},
    )
    body = refused(api, response, 422, "body", before)
    assert "Jeanne" not in json.dumps(body)


def test_an_oversized_body_is_413_before_any_handler(api: Api) -> None:
    before = api.position()
    big = GOOD_REQUEST | {"user": MARTIN | {"note": "x" * 70_000}}
    response = api.call("POST", "/v1/requests", "adviser", json=big)
    refused(api, response, 413, "body", before)


def test_an_oversized_streamed_body_is_413_too(api: Api) -> None:
    before = api.position()

    def chunks() -> Any:
        yield b'{"structure_id": "' + b"m" * 40_000
        yield b"m" * 40_000 + b'"}'

    response = api.call(
        "POST",
        "/v1/requests",
        "adviser",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    refused(api, response, 413, "body", before)


def test_a_timestamp_without_offset_in_a_query_is_422(api: Api) -> None:
    request_id = api.open_request()["id"]
    response = api.call(
        "GET", f"/v1/requests/{request_id}/history", "supervisor", params={"as_of": "2026-11-23"}
    )
    refused(api, response, 422, "as_of", api.position())


def test_an_unknown_id_is_404_whatever_its_shape(api: Api) -> None:
    for request_id in ("nope", "0" * 32, "../../etc"):
        response = api.call("GET", f"/v1/requests/{request_id}", "adviser")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_an_unknown_route_or_method_is_a_problem(api: Api) -> None:
    missing = api.client.get("/v1/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = api.client.delete("/v1/health")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"


def test_a_missing_mandate_precondition_changes_nothing(api: Api) -> None:
    before = api.position()
    response = api.call(
        "POST", "/v1/mandates", "adviser", json=mandate_body(api.clock.now) | {"scopes": []}
    )
    body = refused(api, response, 422, "scopes", before)
    assert body["code"] == "mandate_precondition_missing"


# Concurrency -----------------------------------------------------------------------------------


def test_commands_answer_the_new_etag_and_a_stale_if_match_is_412(api: Api) -> None:
    request_id = api.open_request()["id"]
    first = api.respond(request_id, **{"If-Match": '"1"'})
    assert first.status_code == 201
    assert first.headers["ETag"] == '"2"'
    before = api.position()
    stale = api.respond(request_id, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert api.position() == before
    assert api.respond(request_id, **{"If-Match": 'W/"2"'}).status_code == 201


def test_a_malformed_if_match_is_422(api: Api) -> None:
    request_id = api.open_request()["id"]
    response = api.respond(request_id, **{"If-Match": "yesterday"})
    refused(api, response, 422, "If-Match", api.position())


def test_a_lost_race_is_retried_once_then_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    request_id = api.open_request()["id"]
    ledger = api.services.ledger
    real_save, calls = ledger.committer.save, {"n": 0}

    def losing_once(aggregates: Any, extras: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise VersionConflict("the resource changed while the command ran")
        return real_save(aggregates, extras)

    monkeypatch.setattr(ledger.committer, "save", losing_once)
    assert api.respond(request_id).status_code == 201
    assert calls["n"] == 2

    def always_losing(aggregates: Any, extras: Any) -> Any:
        raise VersionConflict("the resource changed while the command ran")

    monkeypatch.setattr(ledger.committer, "save", always_losing)
    response = api.respond(request_id)
    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"


def test_a_write_between_the_scope_read_and_the_command_is_a_lost_race_retried(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command starts from the route's scope read; a write in between must not be lost."""
    request_id = api.open_request()["id"]
    ledger = api.services.ledger
    real_get = ledger.requests.get

    def read_then_someone_writes(aggregate_id: UUID) -> Request:
        found = real_get(aggregate_id)
        monkeypatch.setattr(ledger.requests, "get", real_get)
        ledger.requests.respond(
            aggregate_id, at=api.clock.now, summary="other", actor=OTHER, now=api.clock.now
        )
        return found

    monkeypatch.setattr(ledger.requests, "get", read_then_someone_writes)
    response = api.respond(request_id, "mine")
    assert response.status_code == 201
    assert response.headers["ETag"] == '"3"'
    summaries = [r["summary"] for r in ledger.requests.get(UUID(request_id)).responses]
    assert summaries == ["other", "mine"]


# Logs ------------------------------------------------------------------------------------------


def test_one_json_log_line_per_request_without_personal_data(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    try:
        capsys.readouterr()
        request_id = api.open_request()["id"]
        api.call("GET", f"/v1/requests/{request_id}", "adviser", headers={"X-Request-ID": "r-42"})
        api.call("POST", "/v1/requests", "adviser", json=GOOD_REQUEST | {"channel": "pigeon"})
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    requests = [line for line in lines if line.get("event") == "request"]
    assert [(r["route"], r["status"]) for r in requests] == [
        ("/v1/requests", 201),
        ("/v1/requests/{request_id}", 200),
        ("/v1/requests", 422),
    ]
    assert requests[1]["request_id"] == "r-42"
    assert {r["actor"] for r in requests} == {"adviser-ana"}
    assert all(r["duration_ms"] >= 0 for r in requests)
    assert "Jeanne" not in json.dumps(lines)
    assert request_id not in json.dumps(lines)


def test_an_unexpected_failure_is_a_problem_and_changes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error stops in the app: the client (which re-raises what escapes the app, as a
    server would print it with its traceback) gets a problem, the log the error's type only."""

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(api.services.ledger.requests, "open_request", broken)
    before = api.position()
    response = api.call("POST", "/v1/requests", "adviser", json=GOOD_REQUEST)
    logged = capsys.readouterr().out
    assert "unhandled_error" in logged
    assert "RuntimeError" in logged
    assert "store went away" not in logged
    assert "Traceback" not in logged
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "store went away" not in response.text
    assert api.position() == before


@pytest.mark.parametrize(
    "received_at",
    [
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:30:00+01:00",
        123,
        "1764000000",
        "2026-11-23T10:00:00",
        "2026-11-23",
        "2026-11-22T10:00:00+01:00",  # before the structure was registered in the ledger
        "2026-11-23T10:06:00+00:00",  # more than a few minutes ahead of the server
    ],
)
def test_an_instant_that_is_not_a_plausible_iso_text_is_refused_and_nothing_recorded(
    api: Api, received_at: object, capsys: pytest.CaptureFixture[str]
) -> None:
    before = api.position()
    response = api.call(
        "POST", "/v1/requests", "adviser", json=GOOD_REQUEST | {"received_at": received_at}
    )
    assert problem_of(response, 422)["field"] == "received_at"
    assert api.position() == before
    assert "Traceback" not in capsys.readouterr().out


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("adviser", ["Marie Dupont", "marie.dupont@fs82.fr", ""])
def test_an_assignment_names_a_staff_reference_never_a_persons_name(api: Api, adviser: str) -> None:
    created = api.open_request()
    before = api.position()
    response = api.call(
        "POST", f"/v1/requests/{created['id']}/assignment", "adviser", json={"adviser": adviser}
    )
    assert problem_of(response, 422)["field"] == "adviser"
    assert api.position() == before


@pytest.mark.parametrize("path", ["partner-answers", "reopening"])
def test_every_instant_a_client_gives_is_iso_text(api: Api, path: str) -> None:
    created = api.open_request()
    body = {"at": 1764000000, "reason": "r", "partner": "caf", "summary": "s"}
    body = (
        {k: v for k, v in body.items() if k in ("at", "reason")}
        if path == "reopening"
        else {k: v for k, v in body.items() if k != "reason"}
    )
    response = api.call("POST", f"/v1/requests/{created['id']}/{path}", "adviser", json=body)
    assert problem_of(response, 422)["field"] == "at"
