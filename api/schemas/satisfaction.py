"""Bodies of the satisfaction endpoints (Art. 4.7): no field can hold a person's data."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import Code, Id, In
from domain.validation import FIRST_YEAR, LAST_YEAR
from domain.vocabulary import Channel

Answers = Annotated[
    dict[Code, Code],
    Field(
        max_length=20,
        description="question code -> option code (`GET /v1/satisfaction/questionnaire`)",
    ),
]
EXAMPLE_ANSWERS: dict[str, Any] = {"overall": "satisfied", "waiting": "yes", "recommend": "yes"}


class PaperAnswerIn(In):
    structure_id: Id
    channel: Channel
    year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR, strict=True)] | None = None
    answers: Answers

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"structure_id": "montauban", "channel": "counter", "answers": EXAMPLE_ANSWERS}
            ]
        },
    )


class LinkIn(In):
    structure_id: Id
    channel: Channel

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"structure_id": "montauban", "channel": "counter"}]},
    )


class LinkAnswerIn(In):
    answers: Answers

    model_config = ConfigDict(json_schema_extra={"examples": [{"answers": EXAMPLE_ANSWERS}]})


class AnswerOut(BaseModel):
    id: str
    structure_id: str
    year: int
    channel: str
    source: str
    questionnaire: str
    answers: dict[str, str]


class LinkOut(BaseModel):
    """The token is shown here once: the ledger keeps only its hash."""

    token: str
    path: str
    expires_at: AwareDatetime


class LinkState(BaseModel):
    state: str  # open, used, expired
    expires_at: AwareDatetime
