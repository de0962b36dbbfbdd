"""Art. 4.7: satisfaction answers counted per structure and year, links handed out and used."""

from datetime import timedelta

import pytest

from application.ledger import Ledger
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.satisfaction import survey_link_id
from projections import VIEW_TABLES
from projections.db import hex_id
from projections.runner import ProjectionRunner
from projections.satisfaction import indicators
from tests.builders import ADVISER, NOW, view_rows

LATER = NOW + timedelta(hours=1)


def test_yearly_indicators_count_paper_and_link_answers_per_structure(
    ledger: Ledger, structure: str, other_structure: str, runner: ProjectionRunner
) -> None:
    paper = ledger.satisfaction.record_answer
    paper(
        structure_code=structure,
        channel="counter",
        answers={"overall": "very_satisfied"},
        actor=ADVISER,
        now=NOW,
    )
    paper(
        structure_code=structure,
        channel="phone",
        answers={"overall": "dissatisfied", "waiting": "no"},
        actor=ADVISER,
        now=NOW,
    )
    paper(
        structure_code=structure,
        channel="counter",
        year=2025,
        answers={"overall": "very_dissatisfied"},
        actor=ADVISER,
        now=NOW,
    )
    paper(
        structure_code=other_structure,
        channel="counter",
        answers={"overall": "satisfied"},
        actor=ADVISER,
        now=NOW,
    )
    token, _ = ledger.satisfaction.issue_link(
        structure_code=structure, channel="counter", actor=ADVISER, now=NOW
    )
    ledger.satisfaction.issue_link(
        structure_code=structure, channel="counter", actor=ADVISER, now=NOW
    )
    ledger.satisfaction.answer_link(
        token, answers={"overall": "satisfied", "recommend": "yes"}, now=LATER
    )
    runner.run_until_idle()
    home = hex_id(ledger.structures.get(structure).id)
    with runner.db.reading(VIEW_TABLES) as tx:
        year = indicators(tx, home, 2026)
        last_year = indicators(tx, home, 2025)
        department = indicators(tx, None, 2026)
    assert year == {
        "year": 2026,
        "questionnaires": 3,
        "satisfaction_rate": round(2 / 3, 4),
        "by_channel": {"counter": 2, "phone": 1},
        "by_source": {"link": 1, "paper": 2},
        "questions": {
            "overall": {"dissatisfied": 1, "satisfied": 1, "very_satisfied": 1},
            "recommend": {"yes": 1},
            "waiting": {"no": 1},
        },
        "links": {"issued": 2, "answered": 1},
    }
    assert last_year["questionnaires"] == 1
    assert last_year["satisfaction_rate"] == 0
    assert department["questionnaires"] == 4
    assert department["satisfaction_rate"] == 0.75
    rows = view_rows(runner, ("satisfaction",))
    assert token not in repr(rows)
    assert survey_link_id(token).hex in repr(rows)


def test_a_link_answers_once_and_refuses_what_it_does_not_know(
    ledger: Ledger, structure: str
) -> None:
    token, link = ledger.satisfaction.issue_link(
        structure_code=structure, channel="counter", actor=ADVISER, now=NOW
    )
    with pytest.raises(InvalidInput):
        ledger.satisfaction.answer_link(token, answers={"overall": "maybe"}, now=LATER)
    assert ledger.satisfaction.link(token).used_at is None  # a refused answer used nothing
    ledger.satisfaction.answer_link(token, answers={"overall": "satisfied"}, now=LATER)
    with pytest.raises(RuleViolation) as again:
        ledger.satisfaction.answer_link(token, answers={"overall": "satisfied"}, now=LATER)
    assert again.value.code == "survey_link_used"
    with pytest.raises(NotFound):
        ledger.satisfaction.answer_link(token + "x", answers={"overall": "satisfied"}, now=LATER)
    late_token, _ = ledger.satisfaction.issue_link(
        structure_code=structure, channel="phone", actor=ADVISER, now=NOW
    )
    with pytest.raises(RuleViolation) as expired:
        ledger.satisfaction.answer_link(
            late_token, answers={"overall": "satisfied"}, now=NOW + timedelta(days=31)
        )
    assert expired.value.code == "survey_link_expired"
    assert link.expires_at == NOW + timedelta(days=30)


def test_a_paper_form_names_its_year_and_channel_correctly(ledger: Ledger, structure: str) -> None:
    with pytest.raises(InvalidInput) as future:
        ledger.satisfaction.record_answer(
            structure_code=structure,
            channel="counter",
            year=2027,
            answers={"overall": "satisfied"},
            actor=ADVISER,
            now=NOW,
        )
    assert future.value.field == "year"
    with pytest.raises(InvalidInput) as channel:
        ledger.satisfaction.record_answer(
            structure_code=structure,
            channel="pigeon",
            answers={"overall": "satisfied"},
            actor=ADVISER,
            now=NOW,
        )
    assert channel.value.field == "channel"
    with pytest.raises(NotFound):
        ledger.satisfaction.record_answer(
            structure_code="nowhere",
            channel="counter",
            answers={"overall": "satisfied"},
            actor=ADVISER,
            now=NOW,
        )
