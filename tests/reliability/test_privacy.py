"""Privacy over a whole run: a generated data set seeded with personal values in every sealed
field, used through the real server (reads, searches, exports), then every envelope destroyed.
Afterwards no seeded value is anywhere: database files (SQLite with its WAL; PostgreSQL heap,
TOAST and index pages, dead tuples included), views, exports, or the server's log of the whole
run; and the keys themselves are gone."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import httpx
import pypdfium2 as pdfium

from projections.runner import ProjectionRunner
from runtime.settings import Settings
from runtime.wiring import open_ledger
from tests.builders import HOME, breach_body, mandate_body, view_rows
from tests.live import LiveServer, request_body, wait_for
from tests.store.backends import raw_keys, store_contains

CASES = 12


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _seed(seeded: list[str], what: str) -> str:
    """A value no code, id or hash could contain by chance, remembered for the scan."""
    value = f"{what}{secrets.token_hex(6)}"
    seeded.append(value)
    return value


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json()


def _exports(live: LiveServer) -> str:
    """Every export and reading a person may ask for, as text."""
    quarter = f"{datetime.now(UTC).year}-Q{(datetime.now(UTC).month - 1) // 3 + 1}"
    texts = []
    with live.client("dpo") as dpo, live.client("supervisor") as supervisor:
        for fmt in ("json", "csv"):
            texts.append(dpo.get("/v1/audit/events", params={"format": fmt}).text)
            texts.append(dpo.get("/v1/breaches/register", params={"format": fmt}).text)
            texts.append(
                supervisor.get(
                    "/v1/reports/quarterly", params={"quarter": quarter, "format": fmt}
                ).text
            )
        texts.append(supervisor.get("/v1/dashboards/sla").text)
        texts.append(dpo.get("/v1/envelopes/due").text)
        texts.append(dpo.get("/v1/alerts").text)
        texts.append(supervisor.get("/v1/complaints").text)
        texts.append(supervisor.get("/v1/referents").text)
        texts.append(supervisor.get("/v1/referents/annex-6").text)
        year = datetime.now(UTC).year
        texts.append(supervisor.get("/v1/satisfaction/indicators", params={"year": year}).text)
        for fmt in ("json", "csv"):
            texts.append(dpo.get("/v1/reports/yearly", params={"year": year, "format": fmt}).text)
        pdf = dpo.get("/v1/reports/yearly", params={"year": year, "format": "pdf"}).content
        document = pdfium.PdfDocument(pdf)
        texts += [document[i].get_textpage().get_text_range() for i in range(len(document))]
    return "\n".join(texts)


def test_after_every_envelope_is_destroyed_no_seeded_value_is_anywhere(
    live: LiveServer, settings: Settings, runner: ProjectionRunner
) -> None:
    seeded: list[str] = []
    with live.client("adviser") as adviser, live.client("dpo") as dpo:
        for i in range(CASES):
            user = {
                "first_name": _seed(seeded, "Prenom"),
                "last_name": _seed(seeded, "Nom"),
                "birth_date": "1950-02-03",
            }
            case = _ok(adviser.post("/v1/requests", json=request_body(user=user)))
            path = f"/v1/requests/{case['id']}"
            summary = {"at": _now(), "summary": _seed(seeded, "Reponse")}
            _ok(adviser.post(f"{path}/responses", json=summary))
            if i % 3 == 0:
                escalation = {"partner": "caf", "reason": _seed(seeded, "Motif"), "at": _now()}
                _ok(adviser.post(f"{path}/escalations", json=escalation))
                answer = {"partner": "caf", "summary": _seed(seeded, "Partenaire"), "at": _now()}
                _ok(adviser.post(f"{path}/partner-answers", json=answer))
            if i % 3 == 1:
                _ok(adviser.post(f"{path}/resolution", json={"outcome": "solved", "at": _now()}))
                reopening = {"reason": _seed(seeded, "Reouverture"), "at": _now()}
                _ok(adviser.post(f"{path}/reopening", json=reopening))
            if i % 4 == 0:
                body = mandate_body(datetime.now(UTC), HOME) | {"mandant": user}
                mandate = _ok(adviser.post("/v1/mandates", json=body))
                action = {
                    "mandate_id": mandate["id"],
                    "partner": "caf",
                    "scope": "act_on_behalf",
                    "procedure": "rsa_renewal",
                    "at": _now(),
                }
                _ok(adviser.post(f"{path}/actions", json=action))
                revocation = {
                    "at": _now(),
                    "requested_by": _seed(seeded, "Demandeur"),
                    "channel": "counter",
                    "reason": _seed(seeded, "Retrait"),
                }
                _ok(adviser.post(f"/v1/mandates/{mandate['id']}/revocation", json=revocation))
            shown = adviser.get(path).text
            assert user["last_name"] in shown  # the positive control: alive, it is readable
            found = dpo.post("/v1/subjects/search", json=user).text
            assert case["id"] in found, found
        breach = breach_body(datetime.now(UTC)) | {
            "description": _seed(seeded, "Incident"),
            "likely_consequences": _seed(seeded, "Consequence"),
            "measures": _seed(seeded, "Mesure"),
        }
        _ok(dpo.post("/v1/breaches", json=breach))
        complaint = request_body() | {
            "topic": "waiting",
            "complainant": {
                "first_name": _seed(seeded, "Plaignant"),
                "last_name": _seed(seeded, "Reclamant"),
                "contact": _seed(seeded, "Joignable"),
            },
            "text": _seed(seeded, "Reclamation"),
        }
        for field in ("partner", "mission", "theme", "user"):
            complaint.pop(field)
        filed = _ok(adviser.post("/v1/complaints", json=complaint))
        answer = {"at": _now(), "answer": _seed(seeded, "Reponsereclamation")}
        _ok(adviser.post(f"/v1/complaints/{filed['id']}/answer", json=answer))
        assert complaint["text"] in adviser.get(f"/v1/complaints/{filed['id']}").text
    with live.client("supervisor") as supervisor, live.client("dpo") as dpo:
        contact = {
            "first_name": _seed(seeded, "Referente"),
            "last_name": _seed(seeded, "Partenaire"),
            "phone": _seed(seeded, "Telephone"),
            "email": f"{_seed(seeded, 'Courriel')}@caf.example",
        }
        _ok(
            supervisor.post(
                "/v1/referents", json={"structure_id": HOME, "partner": "caf", "contact": contact}
            )
        )

        keys = raw_keys(settings)  # as stored, wrapped: what a destruction must erase
        assert len(keys) >= CASES + 1
        assert all(store_contains(settings, key) for key in list(keys.values())[:3])
        for envelope in keys:
            body = {"reason": "data_subject_request"}
            _ok(dpo.post(f"/v1/envelopes/{envelope.hex}/destruction", json=body))
    assert raw_keys(settings) == {}

    ledger = open_ledger(settings)  # a destruction an older reader held back is scrubbed now
    try:
        wait_for("every scrub", ledger.store.keys.scrub)  # type: ignore[attr-defined]
    finally:
        ledger.close()
    runner.run_until_idle()
    exported = _exports(live)
    live.stop()
    views = repr(view_rows(runner))
    log = live.log_text()
    assert "request" in log  # the positive control: the log holds the run
    for key in keys.values():
        assert store_contains(settings, key) == []
    for value in seeded:
        assert store_contains(settings, value.encode()) == [], value
        assert value not in views, value
        assert value not in exported, value
        assert value not in log, value
