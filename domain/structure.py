"""A France Services structure: its department (time zone, holidays) and weekly timetable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.actor import Actor
from domain.aggregate import LedgerAggregate
from domain.errors import InvalidInput, RuleViolation
from domain.validation import require_aware, require_code, require_text
from domain.vocabulary import Partner
from domain.working_time import BusinessCalendar, validate_department

MIN_WEEKLY_HOURS = 24.0
MIN_OPEN_DAYS = 5
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def structure_uuid(code: str) -> UUID:
    """Structures are named by their code; the aggregate id derives from it."""
    return uuid5(NAMESPACE_URL, f"france-services:structure:{code}")


@dataclass(frozen=True)
class Conformity:
    weekly_hours: float
    open_days: int
    meets_minimum: bool


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def validate_timetable(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each slot is {weekday 1-7, opens "HH:MM", closes "HH:MM"}; slots of a day never overlap."""
    cleaned: list[dict[str, Any]] = []
    for i, slot in enumerate(slots):
        weekday, opens, closes = slot.get("weekday"), slot.get("opens"), slot.get("closes")
        where = f"timetable[{i}]"
        if not isinstance(weekday, int) or not 1 <= weekday <= 7:
            raise InvalidInput("weekday must be 1 (Monday) to 7 (Sunday)", field=f"{where}.weekday")
        for name, value in (("opens", opens), ("closes", closes)):
            if not isinstance(value, str) or not _HHMM.match(value):
                raise InvalidInput(f"{name} must be HH:MM", field=f"{where}.{name}")
        if _minutes(cast(str, opens)) >= _minutes(cast(str, closes)):
            raise InvalidInput("a slot must close after it opens", field=f"{where}.closes")
        cleaned.append({"weekday": weekday, "opens": opens, "closes": closes})
    cleaned.sort(key=lambda s: (s["weekday"], s["opens"]))
    for before, after in pairwise(cleaned):
        if before["weekday"] == after["weekday"] and after["opens"] < before["closes"]:
            raise InvalidInput("slots of one day overlap", field="timetable")
    return cleaned


def conformity_of(timetable: list[dict[str, Any]]) -> Conformity:
    """Art. 4.2: at least 24 hours a week over at least 5 days."""
    minutes = sum(_minutes(s["closes"]) - _minutes(s["opens"]) for s in timetable)
    days = len({s["weekday"] for s in timetable})
    hours = round(minutes / 60, 2)
    return Conformity(hours, days, hours >= MIN_WEEKLY_HOURS and days >= MIN_OPEN_DAYS)


class Structure(LedgerAggregate):
    def __init__(
        self,
        code: str,
        name: str,
        department: str,
        whit_monday_worked: bool,
        local_partners: list[str],
    ) -> None:
        self.code = code
        self.local_partners = local_partners
        self.name = name
        self.department = department
        self.whit_monday_worked = whit_monday_worked
        self.timetables: list[tuple[datetime, list[dict[str, Any]]]] = []

    class Registered(LedgerAggregate.Created):
        code: str
        name: str
        department: str
        whit_monday_worked: bool
        local_partners: list[str]
        timetable: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            cast(Structure, aggregate).timetables.append((self.timestamp, self.timetable))

    class TimetableChanged(LedgerAggregate.Event):
        timetable: list[dict[str, Any]]
        effective_from: datetime

        def apply(self, aggregate: Any) -> None:
            timetables = cast(Structure, aggregate).timetables
            timetables.append((self.effective_from, self.timetable))
            timetables.sort(key=lambda entry: entry[0])

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        department: str,
        timetable: list[dict[str, Any]],
        whit_monday_worked: bool = False,
        local_partners: list[str] | None = None,
        actor: Actor,
        now: datetime,
    ) -> Structure:
        require_code(code, "id")
        local_partners = [
            require_code(partner, f"local_partners[{i}]")
            for i, partner in enumerate(local_partners or [])
        ]
        return cls._create(
            cls.Registered,
            id=structure_uuid(code),
            timestamp=now,
            actor=actor,
            code=code,
            name=require_text(name, "name", 200),
            department=validate_department(department),
            whit_monday_worked=whit_monday_worked,
            local_partners=local_partners,
            timetable=validate_timetable(timetable),
        )

    def change_timetable(
        self, timetable: list[dict[str, Any]], effective_from: datetime, actor: Actor, now: datetime
    ) -> None:
        """Changes are announced in advance (Art. 4.2): they take effect now or later."""
        if require_aware(effective_from, "effective_from") < now:
            raise RuleViolation(
                "a timetable change cannot take effect in the past",
                field="effective_from",
                code="timetable_change_in_past",
            )
        self.trigger_event(
            self.TimetableChanged,
            timestamp=now,
            actor=actor,
            timetable=validate_timetable(timetable),
            effective_from=effective_from,
        )

    def timetable_at(self, instant: datetime) -> list[dict[str, Any]]:
        current = self.timetables[0][1]
        for effective_from, timetable in self.timetables:
            if effective_from <= instant:
                current = timetable
        return current

    def announced_after(self, instant: datetime) -> list[tuple[datetime, list[dict[str, Any]]]]:
        """The timetable changes announced to take effect after ``instant``, in order."""
        return [(start, table) for start, table in self.timetables if start > instant]

    def conformity(self, at: datetime) -> Conformity:
        return conformity_of(self.timetable_at(at))

    def require_existing_at(self, instant: datetime, field: str) -> datetime:
        """A case of this structure happens once the structure is in the ledger."""
        if instant < self.created_on:
            raise InvalidInput(
                f"{field} cannot precede the structure's registration in the ledger", field=field
            )
        return instant

    def require_partner(self, partner: str, field: str = "partner") -> None:
        """A partner is national, or local and declared by the structure."""
        if partner not in Partner.__members__.values() and partner not in self.local_partners:
            raise InvalidInput(
                "partner is neither national nor declared by the structure", field=field
            )

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.department, self.whit_monday_worked)
