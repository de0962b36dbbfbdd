"""Which structure a list or a report is about: one of the caller's own."""

from __future__ import annotations

from api.deps import Call
from api.problems import ApiError
from domain.structure import structure_uuid


def scoped_structure(call: Call, structure_id: str | None) -> str:
    """The view's id (UUID hex) of the structure asked for, which must be one of the caller's;
    a caller with one structure may leave it out."""
    caller = call.caller
    if structure_id is None:
        if len(caller.structures) != 1:
            raise ApiError(422, "invalid_input", "structure_id is required", "structure_id")
        (structure_id,) = caller.structures
    if structure_id not in caller.structures:
        raise ApiError(404, "not_found", "no such structure")
    return structure_uuid(structure_id).hex
