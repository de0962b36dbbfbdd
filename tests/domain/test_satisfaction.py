"""Art. 4.7: satisfaction questionnaires, anonymous, from paper or from a one-time link."""

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.satisfaction import (
    ANONYMOUS,
    CURRENT,
    SatisfactionAnswer,
    Source,
    SurveyLink,
    require_year,
    survey_link_id,
)
from domain.vocabulary import Channel
from tests.builders import ADVISER, NOW


def record(answers: dict[str, Any]) -> SatisfactionAnswer:
    return SatisfactionAnswer.record(
        structure_id=uuid4(),
        year=2026,
        channel=Channel.COUNTER,
        source=Source.PAPER,
        answers=answers,
        actor=ADVISER,
        now=NOW,
    )


def test_an_answer_keeps_the_options_given_and_its_questionnaire_version() -> None:
    answer = record({"overall": "satisfied", "waiting": "no", "outcome": None})
    assert answer.answers == {"overall": "satisfied", "waiting": "no"}
    assert answer.questionnaire == CURRENT.version == "v1"
    event = answer.collect_events()[0]
    assert set(event.__dict__) >= {"structure_id", "year", "channel", "source", "answers"}


def test_every_problem_of_a_questionnaire_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        record({"waiting": "maybe", "name": "Martin"})
    fields = {e.field for e in refused.value.errors}
    assert fields == {"answers.name", "answers.overall", "answers.waiting"}


def test_answers_must_be_an_object() -> None:
    with pytest.raises(InvalidInput) as refused:
        record(["overall"])  # type: ignore[arg-type]
    assert refused.value.field == "answers"


def test_a_year_is_not_in_the_future_nor_before_the_ledger() -> None:
    assert require_year(2025, 2026) == 2025
    for year in (2027, 1999, True, "2026"):
        with pytest.raises(InvalidInput):
            require_year(year, 2026)


def issue(token: str = "t0ken") -> SurveyLink:
    return SurveyLink.issue(
        token,
        structure_id=uuid4(),
        channel=Channel.COUNTER,
        year=2026,
        expires_at=NOW + timedelta(days=30),
        actor=ADVISER,
        now=NOW,
    )


def test_a_link_is_known_by_its_token_hash_never_by_its_token() -> None:
    link = issue("secret-token")
    assert link.id == survey_link_id("secret-token") != survey_link_id("secret-tokeN")
    assert "secret-token" not in repr(link.collect_events()[0].__dict__)


def test_a_link_gives_one_answer_until_it_expires() -> None:
    link = issue()
    assert link.state(NOW) == "open"
    link.use(now=NOW + timedelta(minutes=5))
    assert link.state(NOW) == "used"
    used = link.pending_events[-1]
    assert used.actor == ANONYMOUS
    with pytest.raises(RuleViolation) as again:
        link.use(now=NOW + timedelta(minutes=6))
    assert again.value.code == "survey_link_used"
    late = issue()
    assert late.state(NOW + timedelta(days=30)) == "expired"
    with pytest.raises(RuleViolation) as expired:
        late.use(now=NOW + timedelta(days=30))
    assert expired.value.code == "survey_link_expired"
