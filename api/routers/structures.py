"""Structures and their timetables (admins); scoped callers read their own."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response

from api.concurrency import execute, tag
from api.deps import Admin, AnyRole, IfMatch, in_scope
from api.schemas import Announced, Conformity, StructureIn, StructureOut, TimetableIn
from domain.structure import Structure, conformity_of

router = APIRouter(prefix="/v1/structures", tags=["structures"])


def structure_out(structure: Structure, now: datetime) -> StructureOut:
    """The timetable in force at ``now``, and the changes announced after it."""
    conformity = structure.conformity(now)
    return StructureOut(
        id=structure.code,
        name=structure.name,
        department=structure.department,
        timetable=structure.timetable_at(now),
        local_partners=list(structure.local_partners),
        conformity=Conformity(**conformity.__dict__),
        announced=[
            Announced(
                effective_from=start,
                timetable=table,
                conformity=Conformity(**conformity_of(table).__dict__),
            )
            for start, table in structure.announced_after(now)
        ],
    )


@router.post("", status_code=201)
def register(body: StructureIn, call: Admin, response: Response) -> StructureOut:
    structure = call.ledger.structures.register_structure(
        code=body.id,
        name=body.name,
        department=body.department,
        timetable=[slot.model_dump() for slot in body.timetable],
        whit_monday_worked=body.whit_monday_worked,
        local_partners=body.local_partners,
        actor=call.actor,
        now=call.now,
    )
    tag(response, structure.version)
    return structure_out(structure, call.now)


@router.get("/{structure_id}")
def read(structure_id: str, call: AnyRole, response: Response) -> StructureOut:
    structure = call.ledger.structures.get(structure_id)
    in_scope(call, structure.id, "structure")
    tag(response, structure.version)
    return structure_out(structure, call.now)


@router.put("/{structure_id}/timetable")
def change_timetable(
    structure_id: str,
    body: TimetableIn,
    call: Admin,
    response: Response,
    if_match: IfMatch = None,
) -> StructureOut:
    """Announced in advance (Art. 4.2): effective now or later, never in the past."""
    structure = execute(
        lambda version: call.ledger.structures.change_timetable(
            structure_id,
            [slot.model_dump() for slot in body.timetable],
            body.effective_from,
            actor=call.actor,
            now=call.now,
            expected_version=version,
        ),
        if_match,
    )
    tag(response, structure.version)
    return structure_out(structure, call.now)
