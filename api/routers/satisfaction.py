"""User satisfaction (Art. 4.7): paper forms entered by advisers, one-time links answered by
users without any account, and the yearly indicators for the structure's supervisor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Adviser, ServicesDep, Supervisor, in_scope
from api.schemas import AnswerOut, LinkAnswerIn, LinkIn, LinkOut, LinkState, PaperAnswerIn
from api.scoping import scoped_structure
from domain.satisfaction import CURRENT, Questionnaire, SatisfactionAnswer
from domain.structure import structure_uuid
from domain.validation import FIRST_YEAR, LAST_YEAR
from projections.satisfaction import indicators

router = APIRouter(prefix="/v1/satisfaction", tags=["satisfaction"])


def questionnaire_out(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "version": questionnaire.version,
        "title": questionnaire.title,
        "introduction": questionnaire.introduction,
        "questions": [
            {
                "code": q.code,
                "label": q.label,
                "required": q.required,
                "options": [{"code": code, "label": label} for code, label in q.options],
            }
            for q in questionnaire.questions
        ],
    }


def answer_out(answer: SatisfactionAnswer, structure_code: str) -> AnswerOut:
    return AnswerOut(
        id=answer.id.hex,
        structure_id=structure_code,
        year=answer.year,
        channel=answer.channel,
        source=answer.source,
        questionnaire=answer.questionnaire,
        answers=answer.answers,
    )


@router.get("/questionnaire")
def questionnaire() -> dict[str, Any]:
    """The questions and their options, in French, as a form shows them (no token needed)."""
    return questionnaire_out(CURRENT)


@router.post("/answers", status_code=201)
def record_paper_answer(body: PaperAnswerIn, call: Adviser) -> AnswerOut:
    """A paper questionnaire of the structure, entered by an adviser; ``year`` defaults to this
    year in the structure's time zone (last year's forms may be entered late)."""
    in_scope(call, structure_uuid(body.structure_id), "structure")
    answer = call.ledger.satisfaction.record_answer(
        structure_code=body.structure_id,
        channel=body.channel,
        year=body.year,
        answers=body.answers,
        actor=call.actor,
        now=call.now,
    )
    return answer_out(answer, body.structure_id)


@router.post("/links", status_code=201)
def issue_link(body: LinkIn, call: Adviser) -> LinkOut:
    """A one-time link for a user at the counter; the token is in this answer only."""
    in_scope(call, structure_uuid(body.structure_id), "structure")
    token, link = call.ledger.satisfaction.issue_link(
        structure_code=body.structure_id, channel=body.channel, actor=call.actor, now=call.now
    )
    return LinkOut(token=token, path=f"/avis/{token}", expires_at=link.expires_at)


@router.get("/links/{token}")
def link_state(token: str, services: ServicesDep) -> LinkState:
    """No token needed: the link is its own secret. ``open``, ``used`` or ``expired``."""
    link = services.ledger.satisfaction.link(token)
    return LinkState(state=link.state(services.clock()), expires_at=link.expires_at)


@router.post("/links/{token}/answer", status_code=201)
def answer_link(token: str, body: LinkAnswerIn, services: ServicesDep) -> dict[str, Any]:
    """The user's answer, once per link (409 ``survey_link_used``, ``survey_link_expired``).
    Nothing about the answer comes back: the person at the counter may not be the one who
    answered."""
    services.ledger.satisfaction.answer_link(token, answers=body.answers, now=services.clock())
    return {"recorded": True}


@router.get("/indicators")
def yearly_indicators(
    call: Supervisor,
    year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR)],
    structure_id: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """The year's questionnaires: counts by channel, source, question and option, the
    satisfaction rate, the links handed out and answered. Counts only."""
    view_id = scoped_structure(call, structure_id)
    with call.services.reading() as tx:
        found = indicators(tx, view_id, year)
    return {"structure_id": structure_id or next(iter(call.caller.structures)), **found}
