"""Commands on user satisfaction (Art. 4.7): answers from paper forms, one-time links."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from application.unit import Unit
from domain.actor import Actor
from domain.errors import NotFound
from domain.satisfaction import (
    ANONYMOUS,
    SatisfactionAnswer,
    Source,
    SurveyLink,
    require_year,
    survey_link_id,
)
from domain.structure import Structure, structure_uuid
from domain.validation import parse_enum
from domain.vocabulary import Channel

MAX_TOKEN = 64  # issued tokens are 22 characters


class SatisfactionCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def record_answer(
        self,
        *,
        structure_code: str,
        channel: str,
        answers: dict[str, Any],
        year: int | None = None,
        actor: Actor,
        now: datetime,
    ) -> SatisfactionAnswer:
        """A paper form, entered by an adviser: its year defaults to this one (local time)."""
        structure = self.unit.load(Structure, structure_uuid(structure_code))
        this_year = now.astimezone(structure.calendar.tz).year
        answer = SatisfactionAnswer.record(
            structure_id=structure.id,
            year=this_year if year is None else require_year(year, this_year),
            channel=parse_enum(Channel, channel, "channel"),
            source=Source.PAPER,
            answers=answers,
            actor=actor,
            now=now,
        )
        self.unit.save(answer)
        return answer

    def issue_link(
        self, *, structure_code: str, channel: str, actor: Actor, now: datetime
    ) -> tuple[str, SurveyLink]:
        """A new one-time link: its token is returned once and never stored."""
        structure = self.unit.load(Structure, structure_uuid(structure_code))
        token = secrets.token_urlsafe(16)
        link = SurveyLink.issue(
            token,
            structure_id=structure.id,
            channel=parse_enum(Channel, channel, "channel"),
            year=now.astimezone(structure.calendar.tz).year,
            expires_at=now + self.unit.policy.survey_link_validity,
            actor=actor,
            now=now,
        )
        self.unit.save(link)
        return token, link

    def link(self, token: str) -> SurveyLink:
        """The link of a token (``NotFound`` for any other string, an overlong one unhashed)."""
        if len(token) > MAX_TOKEN:
            raise NotFound("no such link")
        return self.unit.load(SurveyLink, survey_link_id(token))

    def answer_link(
        self, token: str, *, answers: dict[str, Any], now: datetime
    ) -> SatisfactionAnswer:
        """The user's own answer: the link's use and the answer are saved together, so that a
        link gives one answer at most (a second, even concurrent, is 409)."""
        link = self.link(token)
        link.use(now=now)
        structure = self.unit.load(Structure, link.structure_id)
        answer = SatisfactionAnswer.record(
            structure_id=link.structure_id,
            year=now.astimezone(structure.calendar.tz).year,
            channel=Channel(link.channel),
            source=Source.LINK,
            answers=answers,
            actor=ANONYMOUS,
            now=now,
        )
        self.unit.save(link, answer)
        return answer
