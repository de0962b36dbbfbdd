"""User satisfaction (Art. 4.7): anonymous questionnaire answers, from a paper form or from a
one-time link printed at the counter. Nothing here may identify anyone: an answer holds a
structure, a contact channel, a year and option codes; a link is known by its token's hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any, cast
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate
from domain.errors import InvalidInput, RuleViolation, every_problem, refuse_all
from domain.validation import FIRST_YEAR
from domain.vocabulary import Channel

ANONYMOUS = Actor(name="anonymous", role="public")
"""Who answers through a link: no one the ledger knows."""


class Source(StrEnum):
    PAPER = "paper"  # entered by an adviser from a paper form
    LINK = "link"  # entered by the user through a one-time link


@dataclass(frozen=True)
class Question:
    code: str
    short: str  # the question in a few words (a column, a chart, an error message)
    label: str
    required: bool
    options: tuple[tuple[str, str], ...]  # (code, French label)


@dataclass(frozen=True)
class Questionnaire:
    """One version of the questionnaire (``domain/data/satisfaction-<version>.json``): answers
    keep the version they were given under, so that a new version never rereads an old one."""

    version: str
    title: str
    introduction: str
    questions: tuple[Question, ...]
    satisfied_question: str
    satisfied_options: frozenset[str]

    def validate(self, answers: Any) -> dict[str, str]:
        """The answers as ``{question: option}``; every problem named at once (422)."""
        if not isinstance(answers, dict):
            raise InvalidInput("answers is an object of question codes", field="answers")
        known = {q.code: q for q in self.questions}
        checks = [
            *(_unknown(code) for code in answers if code not in known),
            *(_check(q, answers.get(q.code)) for q in self.questions),
        ]
        refuse_all(every_problem(checks))
        return {q.code: answers[q.code] for q in self.questions if answers.get(q.code) is not None}


def _unknown(code: object) -> Any:
    def check() -> None:
        raise InvalidInput("not a question of this questionnaire", field=f"answers.{code}")

    return check


def _check(question: Question, value: object) -> Any:
    def check() -> None:
        if value is None:
            if question.required:
                raise InvalidInput(
                    "this question must be answered", field=f"answers.{question.code}"
                )
            return
        if value not in {code for code, _ in question.options}:
            allowed = ", ".join(code for code, _ in question.options)
            raise InvalidInput(f"one of: {allowed}", field=f"answers.{question.code}")

    return check


def _load(version: str) -> Questionnaire:
    text = resources.files("domain").joinpath(f"data/satisfaction-{version}.json").read_text()
    data = json.loads(text)
    return Questionnaire(
        version=data["version"],
        title=data["title"],
        introduction=data["introduction"],
        questions=tuple(
            Question(
                code=q["code"],
                short=q["short"],
                label=q["label"],
                required=q["required"],
                options=tuple((o["code"], o["label"]) for o in q["options"]),
            )
            for q in data["questions"]
        ),
        satisfied_question=data["satisfied"]["question"],
        satisfied_options=frozenset(data["satisfied"]["options"]),
    )


QUESTIONNAIRES = {q.version: q for q in (_load("v1"),)}
CURRENT = QUESTIONNAIRES["v1"]


def require_year(year: object, today_year: int) -> int:
    """A questionnaire's year: not in the future (paper forms of last year are entered late)."""
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= today_year:
        raise InvalidInput(f"year lies between {FIRST_YEAR} and {today_year}", field="year")
    return year


class SatisfactionAnswer(LedgerAggregate):
    """One questionnaire, as answered: recorded once, never changed."""

    def __init__(
        self,
        structure_id: UUID,
        year: int,
        channel: str,
        source: str,
        questionnaire: str,
        answers: dict[str, str],
    ) -> None:
        self.structure_id = structure_id
        self.year = year
        self.channel = channel
        self.source = source
        self.questionnaire = questionnaire
        self.answers = answers

    class Recorded(LedgerAggregate.Created):
        structure_id: UUID
        year: int
        channel: str
        source: str
        questionnaire: str
        answers: dict[str, str]

    @classmethod
    def record(
        cls,
        *,
        structure_id: UUID,
        year: int,
        channel: Channel,
        source: Source,
        answers: dict[str, Any],
        actor: Actor,
        now: datetime,
    ) -> SatisfactionAnswer:
        return cls._create(
            cls.Recorded,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            structure_id=structure_id,
            year=year,
            channel=channel.value,
            source=source.value,
            questionnaire=CURRENT.version,
            answers=CURRENT.validate(answers),
        )


def survey_link_id(token: str) -> UUID:
    """A link is stored under its token's hash: the token itself is never recorded."""
    return UUID(bytes=hashlib.sha256(b"survey-link:" + token.encode()).digest()[:16])


class SurveyLink(LedgerAggregate):
    """A one-time link to the questionnaire, handed to a user at the counter: one answer, until
    it expires. Its use is recorded without the answer (an answer names no link)."""

    def __init__(self, structure_id: UUID, channel: str, year: int, expires_at: datetime) -> None:
        self.structure_id = structure_id
        self.channel = channel
        self.year = year
        self.expires_at = expires_at
        self.used_at: datetime | None = None

    class Issued(LedgerAggregate.Created):
        structure_id: UUID
        channel: str
        year: int
        expires_at: datetime

    class Used(LedgerAggregate.Event):
        at: datetime

        def apply(self, aggregate: Any) -> None:
            cast(SurveyLink, aggregate).used_at = self.at

    @classmethod
    def issue(
        cls,
        token: str,
        *,
        structure_id: UUID,
        channel: Channel,
        year: int,
        expires_at: datetime,
        actor: Actor,
        now: datetime,
    ) -> SurveyLink:
        return cls._create(
            cls.Issued,
            id=survey_link_id(token),
            timestamp=now,
            actor=actor,
            structure_id=structure_id,
            channel=channel.value,
            year=year,
            expires_at=expires_at,
        )

    def state(self, now: datetime) -> str:
        if self.used_at is not None:
            return "used"
        return "expired" if now >= self.expires_at else "open"

    def use(self, *, now: datetime) -> None:
        state = self.state(now)
        if state == "used":
            raise RuleViolation("this link was already used", code="survey_link_used")
        if state == "expired":
            raise RuleViolation("this link expired", code="survey_link_expired")
        self.trigger_event(self.Used, timestamp=now, actor=ANONYMOUS, at=now)
