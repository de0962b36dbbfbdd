"""Bodies of the request endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import Code, Id, In, Instant, Person, Text
from domain.request import Outcome
from domain.vocabulary import Channel, Mission, ScopeKind


class RequestIn(In):
    structure_id: Id
    channel: Channel
    partner: Code
    mission: Mission
    theme: Code
    received_at: Instant
    user: Person

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "structure_id": "montauban",
                    "channel": "email",
                    "partner": "caf",
                    "mission": "administrative_help",
                    "theme": "rsa",
                    "received_at": "2026-11-23T10:00:00+01:00",
                    "user": {"first_name": "Jeanne", "last_name": "Martin"},
                }
            ]
        },
    )


class RequestSummary(BaseModel):
    id: str
    version: int
    status: str
    due_at: AwareDatetime | None
    first_response_at: AwareDatetime | None = None


class RequestOut(RequestSummary):
    structure_id: str
    channel: str
    partner: str
    mission: str
    theme: str
    received_at: AwareDatetime
    resolved_at: AwareDatetime | None
    outcome: str | None
    sla_state: str | None
    envelope_id: str
    user: dict[str, Any]


class ResponseIn(In):
    at: Instant
    summary: Text

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"at": "2026-11-24T10:00:00+01:00", "summary": "documents listed"}]
        },
    )


class ActionIn(In):
    mandate_id: Id | None = None
    partner: Code
    scope: ScopeKind
    procedure: Code
    at: Instant

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mandate_id": "5b1c0b7e4c1a4e1f9d0c2f3a4b5c6d7e",
                    "partner": "caf",
                    "scope": "act_on_behalf",
                    "procedure": "rsa_renewal",
                    "at": "2026-11-24T10:00:00+01:00",
                }
            ]
        },
    )


class EscalationIn(In):
    partner: Code
    reason: Text
    at: Instant
    referent_id: Id | None = None  # the partner's referent it goes to (GET /v1/referents)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"partner": "caf", "reason": "file blocked", "at": "2026-11-24T10:00:00+01:00"}
            ]
        },
    )


class ResolutionIn(In):
    outcome: Outcome
    at: Instant

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "solved", "at": "2026-11-25T10:00:00+01:00"}]},
    )


class ResolutionOut(RequestSummary):
    destruction_due_at: AwareDatetime


class HistoryEvent(BaseModel):
    position: int
    type: str
    at: AwareDatetime
    actor: dict[str, str]
    data: dict[str, Any]


class History(BaseModel):
    events: list[HistoryEvent]
    state: dict[str, Any] | None


class AssignmentIn(In):
    adviser: Annotated[
        Code, Field(description="a staff reference (a token name or staff id), never a name")
    ]


class PartnerAnswerIn(In):
    partner: Code
    summary: Text
    at: Instant


class ReopeningIn(In):
    reason: Text
    at: Instant
