"""Bodies of the envelope endpoints."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.schemas.common import In, Instant
from domain.personal_data import DestructionReason


class DestructionIn(In):
    reason: DestructionReason
    at: Instant | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "procedure_resolved", "at": "2026-11-26T10:00:00+01:00"}]
        },
    )


class DestructionOut(BaseModel):
    envelope_id: str
    destroyed_at: AwareDatetime
