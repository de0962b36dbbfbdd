"""The yearly report (Art. 4.7 and 6) on a ``ledger demo`` department, both backends: its
figures equal those computed here straight from the stored events (not from any view), its CSV
and PDF say the same, and none of its outputs holds a person's data."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest

from api.console.yearly_pdf import number, rate
from domain.sla_state import on_time_rate
from projections.yearly import COUNTS
from runtime import cli
from runtime.demo import FIRST, LAST
from runtime.settings import Settings
from runtime.wiring import open_parts
from store.open import redacting_mapper

NOW = "2026-11-26T12:00:00+01:00"
PARIS = ZoneInfo("Europe/Paris")
SATISFIED = {"very_satisfied", "satisfied"}  # the headline question's, as published


def _events(settings: Settings) -> list[Any]:
    parts = open_parts(settings, writer=False)
    try:
        mapper = redacting_mapper(parts)
        notifications = parts.recorder.select_notifications(0, 10**9)
        return [mapper.to_domain_event(n) for n in notifications]
    finally:
        parts.close()


def _in(instant: datetime, year: int) -> bool:
    return instant.astimezone(PARIS).year == year


def from_events(settings: Settings, year: int, now: datetime) -> dict[str, dict[str, Any]]:
    """Each structure's figures by code, counted from the events alone."""
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    code: dict[UUID, str] = {}
    cases: dict[UUID, Any] = {}
    first_answer: dict[UUID, datetime] = {}
    owner_structure: dict[UUID, UUID] = {}
    due: dict[UUID, datetime] = {}
    complaints: dict[UUID, Any] = {}
    audits: dict[UUID, UUID] = {}
    for event in _events(settings):
        kind = type(event).__qualname__
        data_due = getattr(event, "data_due_at", None)
        if data_due is not None:
            due[event.originator_id] = data_due
        if kind == "Structure.Registered":
            code[event.originator_id] = event.code
        elif kind == "Request.Opened":
            cases[event.originator_id] = event
            owner_structure[event.originator_id] = event.structure_id
            if _in(event.received_at, year):
                counts = figures[code[event.structure_id]]
                counts["requests"] += 1
                counts["visits"] += event.channel == "counter"
                counts[f"partner:{event.partner}"] += 1
                counts[f"channel:{event.channel}"] += 1
        elif kind == "Request.Responded":
            first_answer.setdefault(event.originator_id, event.at)
        elif kind == "Mandate.Signed":
            owner_structure[event.originator_id] = event.structure_id
            if _in(event.timestamp, year):
                figures[code[event.structure_id]]["mandates_signed"] += 1
        elif kind == "Mandate.Revoked" and _in(event.at, year):
            figures[code[owner_structure[event.originator_id]]]["mandates_revoked"] += 1
        elif kind == "SatisfactionAnswer.Recorded" and event.year == year:
            counts = figures[code[event.structure_id]]
            counts["questionnaires"] += 1
            counts["satisfied"] += event.answers["overall"] in SATISFIED
        elif kind == "Complaint.Received":
            complaints[event.originator_id] = event
            owner_structure[event.originator_id] = event.structure_id
            if _in(event.received_at, year):
                figures[code[event.structure_id]]["complaints_received"] += 1
        elif kind == "Complaint.Answered":
            received = complaints[event.originator_id]
            if _in(received.received_at, year):
                late = event.at > received.answer_due_at
                counts = figures[code[received.structure_id]]
                counts["complaints_answered_late" if late else "complaints_answered_on_time"] += 1
        elif kind == "FlashAudit.Opened":
            audits[event.originator_id] = event.structure_id
            if _in(event.timestamp, year):
                figures[code[event.structure_id]]["audits_opened"] += 1
        elif kind == "FlashAudit.Closed":
            counts = figures[code[audits[event.originator_id]]]
            counts["audits_closed"] += 1
            counts["audits_conform"] += event.conform
        elif (
            kind.endswith("PersonalDataDestroyed")
            and event.originator_id in owner_structure
            and _in(event.at, year)
        ):
            counts = figures[code[owner_structure[event.originator_id]]]
            counts["destructions"] += 1
            counts["destructions_late"] += event.at > due[event.originator_id] + timedelta(1)
    for case_id, opened in cases.items():
        if opened.due_at is None or not _in(opened.received_at, year):
            continue
        counts = figures[code[opened.structure_id]]
        answered = first_answer.get(case_id)
        if answered is not None:
            counts["answered_on_time" if answered <= opened.due_at else "answered_late"] += 1
        elif opened.due_at <= now:
            counts["open_overdue"] += 1
    return {c: dict(figures[c]) for c in code.values()}


# every count but those derived from others or not kept by the events counted above
NOT_RECOUNTED = ("distinct_users", "complaints_unanswered", "destructions_overdue")
COUNTED = tuple(k for k in COUNTS if k not in NOT_RECOUNTED)


@pytest.fixture
def demo(env: Settings, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert cli.main(["demo", "--requests", "300", "--now", NOW]) == 0
    loaded: dict[str, Any] = json.loads(capsys.readouterr().out.splitlines()[-1])
    return loaded


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["report", "yearly", "--year", "2026", "--now", NOW, *args]) == 0
    return capsys.readouterr().out


def test_the_yearly_report_reproduces_the_figures_counted_from_the_events(
    env: Settings, demo: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(_report(capsys))
    now = datetime.fromisoformat(NOW)
    expected = from_events(env, 2026, now)
    (department,) = report["departments"]
    assert department["department"] == "82"
    structures = {s["structure_id"]: s for s in department["structures"]}
    assert set(structures) == set(expected)
    for code, counted in expected.items():
        shown = structures[code]
        assert {k: shown[k] for k in COUNTED} == {k: counted.get(k, 0) for k in COUNTED}, code
        assert shown["requests_by_partner"] == {
            p: counted.get(f"partner:{p}", 0) for p in shown["requests_by_partner"]
        }
        assert shown["requests_by_channel"] == {
            c: counted.get(f"channel:{c}", 0) for c in shown["requests_by_channel"]
        }
        assert shown["on_time_rate"] == on_time_rate(
            shown["answered_on_time"], shown["answered_late"], shown["open_overdue"]
        )
    totals = department["totals"]
    assert totals["requests"] == demo["requests"] == sum(s["requests"] for s in structures.values())
    assert totals["complaints_received"] == demo["complaints"]
    assert totals["audits_opened"] == demo["audits"]
    assert totals["questionnaires"] == demo["questionnaires"]
    assert totals["destructions"] == demo["destructions"] > 0
    assert totals["satisfaction_rate"] == round(totals["satisfied"] / totals["questionnaires"], 4)
    # the demo's whole story, so that no figure is compared at zero only
    assert [k for k in COUNTED if totals[k] == 0] == ["destructions_late"]
    assert report["breaches"] == {
        "scope": "data_controller",
        "declared": 1,
        "notification_required": 1,
        "notified_on_time": 0,
        "notified_late": 0,
        "overdue": 0,
    }


def test_the_csv_and_the_pdf_say_what_the_json_says_without_a_person(
    env: Settings, demo: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    report = json.loads(_report(capsys))
    lines = list(csv.DictReader(io.StringIO(_report(capsys, "--format", "csv"))))
    totals = report["departments"][0]["totals"]
    (department_line,) = [line for line in lines if line["scope"] == "department"]
    assert int(department_line["requests"]) == totals["requests"]
    assert int(department_line["requests_caf"]) == totals["requests_by_partner"]["caf"]
    assert float(department_line["on_time_rate"]) == totals["on_time_rate"]
    assert sum(line["scope"] == "structure" for line in lines) == 20
    (controller,) = [line for line in lines if line["scope"] == "data_controller"]
    assert controller["declared"] == "1"

    pdf_path = tmp_path / "rapport.pdf"
    pdf = ["--format", "pdf", "--output", str(pdf_path)]
    assert cli.main(["report", "yearly", "--year", "2026", "--now", NOW, *pdf]) == 0
    document = pdfium.PdfDocument(pdf_path)
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Rapport annuel 2026" in text
    assert "Demandes reçues" in text
    spaced = text.replace("\xa0", " ")  # the text layer gives no-break spaces as spaces
    assert number(totals["requests"]).replace("\xa0", " ") in spaced
    assert rate(totals["on_time_rate"]).replace("\xa0", " ") in spaced
    assert "Violations de données personnelles" in text
    for i in range(len(document)):  # each page drawn, as a reader sees it
        image = document[i].render(scale=1).to_pil()
        assert image.getextrema() != ((255, 255), (255, 255), (255, 255))

    outputs = json.dumps(report) + "".join(str(line) for line in lines) + text
    for name in [*FIRST, *LAST]:  # every name the demo gives people and referents
        assert name not in outputs
    assert "@" not in outputs
    assert "demo.invalid" not in outputs
    assert "05 63" not in outputs


def test_a_year_without_activity_reports_zeros_and_no_rate(
    env: Settings, demo: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", "yearly", "--year", "2025", "--now", NOW]) == 0
    totals = json.loads(capsys.readouterr().out)["departments"][0]["totals"]
    assert totals["requests"] == totals["destructions"] == totals["questionnaires"] == 0
    assert totals["on_time_rate"] is None
    assert totals["satisfaction_rate"] is None
    assert totals["structures"] == 20
