"""Bodies of the flash-audit endpoints (Art. 4.7)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.schemas.common import Code, Id, In, Text
from domain.audit_flash import Result


class AuditIn(In):
    structure_id: Id

    model_config = ConfigDict(json_schema_extra={"examples": [{"structure_id": "montauban"}]})


class AssessmentIn(In):
    criterion: Code
    result: Result
    remark: Text | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"criterion": "response_72h", "result": "met", "remark": "94 % dans les délais"}
            ]
        }
    )


class CriterionOut(BaseModel):
    code: str
    label: str
    evidence: dict[str, Any] | None
    result: str | None
    remark: str | None


class AuditOut(BaseModel):
    id: str
    version: int
    structure_id: str
    grid: str
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None
    conform: bool | None
    criteria: list[CriterionOut]
