"""Request and response bodies: shape only. Meaning (deadlines, mandate preconditions, partner
declared by the structure) is the Ledger's, which names the faulty field the same way."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.common import Channel, Mission, ScopeKind
from domain.mandate import RevocationChannel
from domain.personal_data import DestructionReason
from domain.policy import RiskLevel
from domain.request import Outcome

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Code = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$"),
    Field(description="a code: lowercase letters, digits, _ . - (never free text)"),
]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Labels = Annotated[list[Label], Field(min_length=1, max_length=50)]


class In(BaseModel):
    """Bodies refuse unknown fields: a typo is named, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Slot(In):
    weekday: int = Field(ge=1, le=7, description="1 (Monday) to 7 (Sunday)")
    opens: HHMM
    closes: HHMM


class StructureIn(In):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    department: Annotated[str, StringConstraints(pattern=r"^(\d{2,3}|2[AB])$")]
    timetable: Annotated[list[Slot], Field(max_length=50)]
    whit_monday_worked: bool = False
    local_partners: Annotated[list[Code], Field(max_length=50)] = []

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "montauban",
                    "name": "France Services Montauban",
                    "department": "82",
                    "timetable": [
                        {"weekday": d, "opens": "09:00", "closes": "14:00"} for d in range(1, 6)
                    ],
                }
            ]
        },
    )


class Conformity(BaseModel):
    weekly_hours: float
    open_days: int
    meets_minimum: bool


class StructureOut(BaseModel):
    id: str
    name: str
    department: str
    timetable: list[dict[str, Any]]
    local_partners: list[str]
    conformity: Conformity


class Person(BaseModel):
    """A person's identity: sealed in the ledger, never in a view or a log."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Annotated[str, StringConstraints(max_length=500)]]

    first_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RequestIn(In):
    structure_id: Id
    channel: Channel
    partner: Code
    mission: Mission
    theme: Code
    received_at: AwareDatetime
    user: Person

    model_config = ConfigDict(
        extra="forbid",
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
    at: AwareDatetime
    summary: Text

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"at": "2026-11-24T10:00:00+01:00", "summary": "documents listed"}]
        },
    )


class ActionIn(In):
    mandate_id: Id | None = None
    partner: Code
    scope: ScopeKind
    procedure: Code
    at: AwareDatetime

    model_config = ConfigDict(
        extra="forbid",
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
    at: AwareDatetime

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"partner": "caf", "reason": "file blocked", "at": "2026-11-24T10:00:00+01:00"}
            ]
        },
    )


class ResolutionIn(In):
    outcome: Outcome
    at: AwareDatetime

    model_config = ConfigDict(
        extra="forbid",
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


class IdentityVerification(In):
    document_type: Code | None = None
    verified_at: AwareDatetime | None = None


class Notice(In):
    version: Code | None = None


class Scope(In):
    partner: Code
    kinds: Annotated[list[ScopeKind], Field(min_length=1, max_length=2)]


class MandateIn(In):
    """Optional here so that the Ledger names the first missing precondition of Art. 4.6
    (422 ``mandate_precondition_missing``)."""

    structure_id: Id
    mandant: Person
    identity_verification: IdentityVerification | None = None
    information_notice: Notice | None = None
    scopes: Annotated[list[Scope], Field(max_length=20)] = []
    valid_until: AwareDatetime | None = None
    originals: int | None = Field(default=None, ge=0, le=10)
    signed_document_sha256: Annotated[str, StringConstraints(max_length=64)] | None = None
    signed_on_site: bool | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "structure_id": "montauban",
                    "mandant": {"first_name": "Jeanne", "last_name": "Martin"},
                    "identity_verification": {
                        "document_type": "id_card",
                        "verified_at": "2026-11-23T10:00:00+01:00",
                    },
                    "information_notice": {"version": "2026-01"},
                    "scopes": [{"partner": "caf", "kinds": ["act_on_behalf"]}],
                    "valid_until": "2027-05-23T10:00:00+01:00",
                    "originals": 2,
                    "signed_document_sha256": "a" * 64,
                    "signed_on_site": True,
                }
            ]
        },
    )


class MandateOut(BaseModel):
    id: str
    version: int
    status: str
    structure_id: str
    scopes: list[dict[str, Any]]
    valid_until: AwareDatetime
    revoked_at: AwareDatetime | None
    envelope_id: str
    uses: int
    mandant: dict[str, Any] | None = None


class RevocationIn(In):
    at: AwareDatetime
    requested_by: Text
    channel: RevocationChannel
    reason: Text

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-11-25T10:00:00+01:00",
                    "requested_by": "mandant",
                    "channel": "counter",
                    "reason": "no longer needed",
                }
            ]
        },
    )


class StatusOut(BaseModel):
    id: str
    version: int
    status: str


class BreachIn(In):
    aware_at: AwareDatetime
    detected_at: AwareDatetime | None = None
    description: Text
    nature: Labels
    data_categories: Labels
    subject_categories: Labels
    approx_subjects: int = Field(ge=0, le=100_000_000)
    approx_records: int = Field(ge=0, le=10_000_000_000)
    likely_consequences: Text
    measures: Text
    contact: Text

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "aware_at": "2026-11-23T10:00:00+01:00",
                    "description": "a laptop with case files was stolen",
                    "nature": ["confidentiality"],
                    "data_categories": ["identity"],
                    "subject_categories": ["users"],
                    "approx_subjects": 40,
                    "approx_records": 120,
                    "likely_consequences": "identity theft",
                    "measures": "remote wipe",
                    "contact": "dpo@example.org",
                }
            ]
        },
    )


class BreachOut(BaseModel):
    id: str
    version: int
    aware_at: AwareDatetime
    cnil_deadline: AwareDatetime
    risk_level: str | None = None
    notification_required: bool
    notifications: list[dict[str, Any]]
    subjects_informed_at: AwareDatetime | None
    subjects_exemption: str | None
    closed_at: AwareDatetime | None


class RiskIn(In):
    level: RiskLevel
    rationale: Text

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"level": "high", "rationale": "identity documents exposed"}]
        },
    )


class NotificationIn(In):
    phase: Literal["initial", "complementary"]
    at: AwareDatetime
    reference: Label
    late_reason: Text | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "phase": "initial",
                    "at": "2026-11-24T10:00:00+01:00",
                    "reference": "CNIL-2026-0042",
                }
            ]
        },
    )


class DestructionIn(In):
    reason: DestructionReason
    at: AwareDatetime | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "procedure_resolved", "at": "2026-11-26T10:00:00+01:00"}]
        },
    )


class DestructionOut(BaseModel):
    envelope_id: str
    destroyed_at: AwareDatetime


class TimetableIn(In):
    timetable: Annotated[list[Slot], Field(max_length=50)]
    effective_from: AwareDatetime


class AssignmentIn(In):
    adviser: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PartnerAnswerIn(In):
    partner: Code
    summary: Text
    at: AwareDatetime


class ReopeningIn(In):
    reason: Text
    at: AwareDatetime


class SubjectInformationIn(In):
    at: AwareDatetime
    channel: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SubjectExemptionIn(In):
    ground: Literal["unintelligible", "risk_removed", "disproportionate_effort"]
    rationale: Text


class ClosureIn(In):
    at: AwareDatetime
