"""Structures and their timetables (admins); scoped callers read their own."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response

from api.auth import Role
from api.deps import Admin, AnyRole, LedgerDep, NowDep, in_scope
from api.schemas import StructureIn, StructureOut
from domain.structure import Structure

router = APIRouter(prefix="/v1/structures", tags=["structures"])


def structure_out(structure: Structure, now: datetime) -> StructureOut:
    conformity = structure.conformity(now)
    return StructureOut(
        id=structure.code,
        name=structure.name,
        department=structure.department,
        timetable=structure.timetable_at(now),
        local_partners=list(structure.local_partners),
        conformity=conformity.__dict__,  # type: ignore[arg-type]
    )


@router.post("", status_code=201)
def register(
    body: StructureIn, caller: Admin, ledger: LedgerDep, now: NowDep, response: Response
) -> StructureOut:
    structure = ledger.register_structure(
        code=body.id,
        name=body.name,
        department=body.department,
        timetable=[slot.model_dump() for slot in body.timetable],
        whit_monday_worked=body.whit_monday_worked,
        local_partners=body.local_partners,
        actor=caller.actor,
        now=now,
    )
    response.headers["ETag"] = f'"{structure.version}"'
    return structure_out(structure, now)


@router.get("/{structure_id}")
def read(structure_id: str, caller: AnyRole, ledger: LedgerDep, now: NowDep) -> StructureOut:
    structure = ledger.get_structure(structure_id)
    if caller.role in (Role.ADVISER, Role.SUPERVISOR):
        in_scope(caller, structure.id, "structure")
    return structure_out(structure, now)
