"""Bodies of the structure endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import HHMM, Code, In, Instant


class Slot(In):
    weekday: int = Field(ge=1, le=7, strict=True, description="1 (Monday) to 7 (Sunday)")
    opens: HHMM
    closes: HHMM


class StructureIn(In):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    department: Annotated[str, StringConstraints(pattern=r"^(\d{2,3}|2[AB])$")]
    timetable: Annotated[list[Slot], Field(max_length=50)]
    whit_monday_worked: bool = Field(default=False, strict=True)
    local_partners: Annotated[list[Code], Field(max_length=50)] = []

    model_config = ConfigDict(
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


class Announced(BaseModel):
    """A timetable change announced in advance (Art. 4.2), not in force yet."""

    effective_from: AwareDatetime
    timetable: list[dict[str, Any]]
    conformity: Conformity


class StructureOut(BaseModel):
    id: str
    name: str
    department: str
    timetable: list[dict[str, Any]]
    local_partners: list[str]
    conformity: Conformity
    announced: list[Announced] = Field(default_factory=list)


class TimetableIn(In):
    timetable: Annotated[list[Slot], Field(max_length=50)]
    effective_from: Instant
