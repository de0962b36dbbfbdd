"""Commands on structures: register, change the timetable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from application.unit import Unit
from domain.actor import Actor
from domain.errors import VersionConflict
from domain.structure import Structure, structure_uuid


class StructureCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, code: str) -> Structure:
        return self.unit.load(Structure, structure_uuid(code))

    def get_many(self, codes: Sequence[str]) -> list[Structure]:
        """Several structures in the order asked, with one read of their events."""
        return self.unit.load_many(Structure, [structure_uuid(code) for code in codes])

    def register_structure(
        self,
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
        structure = Structure.register(
            code=code,
            name=name,
            department=department,
            timetable=timetable,
            whit_monday_worked=whit_monday_worked,
            local_partners=local_partners,
            actor=actor,
            now=now,
        )
        if not self.unit.save_new(structure):
            raise VersionConflict(
                "a structure with this id exists", field="id", code="structure_exists"
            )
        return structure

    def change_timetable(
        self,
        code: str,
        timetable: list[dict[str, Any]],
        effective_from: datetime,
        *,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Structure:
        """Announced in advance (Art. 4.2): it takes effect now or later, never in the past."""
        return self.unit.update(
            Structure,
            structure_uuid(code),
            lambda s: s.change_timetable(timetable, effective_from, actor, now),
            expected_version,
        )
