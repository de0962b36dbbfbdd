"""Concurrency through the real server: 8 clients on one request, then on one mandate. No update
is lost: every 2xx is one stored event, every conflict a 409 (with its rule) or a 412 (a stale
``If-Match``), and the state the API shows equals the replay of the stored events."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from runtime.settings import Settings
from runtime.wiring import open_ledger
from tests.builders import HOME, MARTIN, mandate_body
from tests.live import LiveServer, request_body

CLIENTS, ROUNDS = 8, 6
ACCEPTED = {200, 201}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _run(clients: int, work: Any) -> list[tuple[str, int, dict[str, Any]]]:
    answers: list[tuple[str, int, dict[str, Any]]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        for what, answer in work(i):
            with lock:
                answers.append((what, answer.status_code, answer.json()))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _only_accepted_or_conflicts(answers: list[tuple[str, int, dict[str, Any]]]) -> None:
    for what, status, body in answers:
        assert status in ACCEPTED | {409, 412}, (what, status, body)
        if status == 409:
            assert body["code"], body
        if status == 412:
            assert body["code"] == "precondition_failed", body


def test_eight_clients_on_one_request_lose_no_update(live: LiveServer, settings: Settings) -> None:
    with live.client("adviser") as client:
        created = client.post("/v1/requests", json=request_body()).json()
    path = f"/v1/requests/{created['id']}"

    def work(i: int) -> Any:
        with live.client("adviser") as client:
            for round_ in range(ROUNDS):
                read = client.get(path)
                # half the clients say which version they read: a write in between is a 412
                headers = {"If-Match": read.headers["ETag"]} if i % 2 else {}
                if round_ % 2:
                    body = {"adviser": f"adviser-{i}"}
                    yield "assign", client.post(f"{path}/assignment", json=body, headers=headers)
                else:
                    body = {"at": _now(), "summary": f"answer {i}.{round_}"}
                    yield "respond", client.post(f"{path}/responses", json=body, headers=headers)

    def after_resolution(i: int) -> Any:
        with live.client("adviser") as client:
            body = {"at": _now(), "summary": f"too late {i}"}
            yield "respond", client.post(f"{path}/responses", json=body)

    answers = _run(CLIENTS, work)
    _only_accepted_or_conflicts(answers)
    assert {s for _, s, _ in answers} >= {412}, "no client ever raced another"
    with live.client("adviser") as client:
        body = {"outcome": "solved", "at": _now()}
        resolution = client.post(f"{path}/resolution", json=body)
    assert resolution.status_code == 200, resolution.text
    late = _run(CLIENTS, after_resolution)
    assert {(s, b["code"]) for _, s, b in late} == {(409, "request_resolved")}
    accepted = Counter(what for what, status, _ in answers if status in ACCEPTED)
    ledger = open_ledger(settings)
    try:
        replayed = ledger.requests.get(UUID(created["id"]))
        # one stored event per 2xx (and the resolution), none lost, none from the refusals
        assert replayed.version == 1 + sum(accepted.values()) + 1
        assert len(replayed.responses) == accepted["respond"]
        assert replayed.version == resolution.json()["version"]
        with live.client("adviser") as client:
            shown = client.get(path)
        assert shown.headers["ETag"] == f'"{replayed.version}"'
        assert shown.json()["status"] == replayed.status == "resolved"
    finally:
        ledger.close()


def test_eight_clients_on_one_mandate_lose_no_use_and_none_after_its_revocation(
    live: LiveServer, settings: Settings
) -> None:
    now = datetime.now(UTC)
    with live.client("adviser") as client:
        body = mandate_body(now, HOME) | {"valid_until": (now + timedelta(days=90)).isoformat()}
        mandate = client.post("/v1/mandates", json=body).json()
        requests = [
            client.post("/v1/requests", json=request_body(user=MARTIN)).json()
            for _ in range(CLIENTS)
        ]

    def acting(rounds: int) -> Any:
        def work(i: int) -> Any:
            with live.client("adviser") as client:
                for round_ in range(rounds):
                    action = {
                        "mandate_id": mandate["id"],
                        "partner": "caf",
                        "scope": "act_on_behalf",
                        "procedure": f"step-{i}-{round_}",
                        "at": _now(),
                    }
                    path = f"/v1/requests/{requests[i]['id']}/actions"
                    yield "act", client.post(path, json=action)

        return work

    answers = _run(CLIENTS, acting(ROUNDS))
    _only_accepted_or_conflicts(answers)
    acts = [body for _, status, body in answers if status == 201]
    assert acts, "no use accepted"
    revocation = {"at": _now(), "requested_by": "mandant", "channel": "counter", "reason": "end"}
    with live.client("adviser") as client:
        revoked = client.post(f"/v1/mandates/{mandate['id']}/revocation", json=revocation)
    assert revoked.status_code == 200, revoked.text
    late = _run(CLIENTS, acting(1))
    assert {(s, b["code"]) for _, s, b in late} == {(409, "mandate_revoked")}
    ledger = open_ledger(settings)
    try:
        replayed = ledger.mandates.get(UUID(mandate["id"]))
        assert len(replayed.uses) == len(acts)  # every accepted use recorded on the mandate
        assert replayed.revoked_at is not None
        assert all(use["at"] <= replayed.revoked_at for use in replayed.uses)
        per_request = [len(ledger.requests.get(UUID(r["id"])).actions) for r in requests]
        assert sum(per_request) == len(acts)
    finally:
        ledger.close()
