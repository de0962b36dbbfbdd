"""Bodies of the complaints register's endpoints (Art. 4.7)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.schemas.common import Id, In, Instant, Person, Text
from domain.complaint import Topic
from domain.vocabulary import Channel


class ComplaintIn(In):
    structure_id: Id
    channel: Channel
    topic: Topic
    received_at: Instant
    complainant: Person
    text: Text

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "structure_id": "montauban",
                    "channel": "counter",
                    "topic": "waiting",
                    "received_at": "2026-11-23T10:00:00+01:00",
                    "complainant": {"first_name": "Jeanne", "last_name": "Martin"},
                    "text": "waited two hours without being received",
                }
            ]
        },
    )


class ComplaintAnswerIn(In):
    at: Instant
    answer: Text


class ComplaintOut(BaseModel):
    """A complaint as the register holds it; ``complainant``, ``text`` and ``answer`` only when
    read one by one (the read is recorded), ``null`` once destroyed."""

    id: str
    version: int
    structure_id: str
    channel: str
    topic: str
    received_at: AwareDatetime
    answer_due_at: AwareDatetime
    state: str
    answered_at: AwareDatetime | None
    answered_late: bool | None
    destroyed_at: AwareDatetime | None
    complainant: dict[str, str] | None = None
    text: str | None = None
    answer: str | None = None
