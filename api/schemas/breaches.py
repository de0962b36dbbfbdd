"""Bodies of the breach endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import In, Instant, Label, Labels, Text
from domain.policy import RiskLevel


class BreachIn(In):
    aware_at: Instant
    detected_at: Instant | None = None
    description: Text
    nature: Labels
    data_categories: Labels
    subject_categories: Labels
    approx_subjects: int = Field(ge=0, le=100_000_000, strict=True)
    approx_records: int = Field(ge=0, le=10_000_000_000, strict=True)
    likely_consequences: Text
    measures: Text
    contact: Text

    model_config = ConfigDict(
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
    """The register's entry: every GDPR 33(3) fact, and the timeline of what was done."""

    id: str
    version: int
    aware_at: AwareDatetime
    detected_at: AwareDatetime
    nature: list[str]
    description: str | None  # None once the entry's texts were destroyed
    data_categories: list[str]
    subject_categories: list[str]
    approx_subjects: int
    approx_records: int
    likely_consequences: str | None
    measures: str | None
    contact: str
    cnil_deadline: AwareDatetime
    risk_level: str | None = None
    risk_rationale: str | None = None
    notification_required: bool
    notifications: list[dict[str, Any]]
    subjects_informed_at: AwareDatetime | None
    subjects_exemption: str | None
    closed_at: AwareDatetime | None
    timeline: list[dict[str, Any]]


class RiskIn(In):
    level: RiskLevel
    rationale: Text

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"level": "high", "rationale": "identity documents exposed"}]
        },
    )


class NotificationIn(In):
    phase: Literal["initial", "complementary"]
    at: Instant
    reference: Label
    late_reason: Text | None = None

    model_config = ConfigDict(
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


class SubjectInformationIn(In):
    at: Instant
    channel: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SubjectExemptionIn(In):
    ground: Literal["unintelligible", "risk_removed", "disproportionate_effort"]
    rationale: Text


class ClosureIn(In):
    at: Instant
