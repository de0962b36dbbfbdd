"""Partner referents (Art. 5.2.1): the structure's supervisor records who each partner named,
advisers and supervisors of that structure read them (each read recorded); their details never
appear in anything a user receives, and are destroyed when the referent leaves. The Annex 6
table as CSV for the supervisor."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from api.concurrency import command, execute, tag
from api.deps import Adviser, Call, IfMatch, Supervisor, in_scope, parse_id
from api.schemas.referents import ContactIn, ReferentIn, ReferentOut
from api.scoping import scoped_structure
from domain.access import Purpose
from domain.referent import Referent
from domain.structure import Structure, structure_uuid
from projections.db import csv_chunks
from projections.referents import serving

router = APIRouter(prefix="/v1/referents", tags=["referents"])
ANNEX_6 = ("partner", "last_name", "first_name", "title", "phone", "email")


def referent_out(call: Call, referent: Referent) -> ReferentOut:
    structure: Structure = call.ledger.repository.get(referent.structure_id)
    return ReferentOut(
        id=referent.id.hex,
        version=referent.version,
        structure_id=structure.code,
        partner=referent.partner,
        active=referent.active,
        left_at=referent.left_at.isoformat() if referent.left_at else None,
        contact=referent.contact,
    )


def load(call: Call, referent_id: str) -> Referent:
    referent = call.ledger.referents.get(parse_id(referent_id, "referent"))
    in_scope(call, referent.structure_id, "referent")
    return referent


def _shown(call: Call, referents: list[Referent], endpoint: str) -> None:
    """Partner staff's details on screen are a read of personal data: recorded."""
    live = [r for r in referents if r.contact is not None]
    call.ledger.personal_data.record_accesses(
        live, endpoint=endpoint, purpose=Purpose.CASE_HANDLING, actor=call.actor, now=call.now
    )


def _serving(call: Call, structure_id: str | None, partner: str | None) -> list[Referent]:
    view_id = scoped_structure(call, structure_id)
    with call.services.reading() as tx:
        ids = serving(tx, view_id, partner)
    return [r for r in call.ledger.referents.get_many([UUID(i) for i in ids]) if r.active]


@router.post("", status_code=201)
def appoint(body: ReferentIn, call: Supervisor, response: Response) -> ReferentOut:
    """A referent a partner named for the structure (national, or local and declared)."""
    in_scope(call, structure_uuid(body.structure_id), "structure")
    referent = call.ledger.referents.appoint_referent(
        structure_code=body.structure_id,
        partner=body.partner,
        contact=body.contact.model_dump(exclude_none=True),
        actor=call.actor,
        now=call.now,
    )
    tag(response, referent.version)
    return referent_out(call, referent)


@router.get("")
def listing(
    call: Adviser,
    structure_id: Annotated[str | None, Query()] = None,
    partner: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ReferentOut]:
    """The structure's active referents, by partner, with their details (the read recorded)."""
    found = _serving(call, structure_id, partner)
    _shown(call, found, "GET /v1/referents")
    return [referent_out(call, r) for r in found]


@router.get("/annex-6", response_model=None)
def annex_6(
    call: Supervisor, structure_id: Annotated[str | None, Query()] = None
) -> StreamingResponse:
    """Annex 6 of the convention: the structure's referents as CSV, for its supervisor."""
    found = _serving(call, structure_id, None)
    _shown(call, found, "GET /v1/referents/annex-6")
    lines = [list(ANNEX_6)] + [
        [r.partner, *((r.contact or {}).get(f, "") for f in ANNEX_6[1:])] for r in found
    ]
    return StreamingResponse(
        csv_chunks(lines),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="annexe-6-referents.csv"'},
    )


@router.get("/{referent_id}")
def read(referent_id: str, call: Adviser, response: Response) -> ReferentOut:
    referent = load(call, referent_id)
    _shown(call, [referent], "GET /v1/referents/{id}")
    tag(response, referent.version)
    return referent_out(call, referent)


@router.put("/{referent_id}/contact")
def change_contact(
    referent_id: str,
    body: ContactIn,
    call: Supervisor,
    response: Response,
    if_match: IfMatch = None,
) -> ReferentOut:
    referent = load(call, referent_id)
    changed = command(
        call.ledger.referents.change_referent_contact,
        referent,
        body,
        call,
        if_match,
        contact=body.contact.model_dump(exclude_none=True),
    )
    tag(response, changed.version)
    return referent_out(call, changed)


@router.post("/{referent_id}/departure")
def departure(
    referent_id: str, call: Supervisor, response: Response, if_match: IfMatch = None
) -> ReferentOut:
    """The referent left: their details are destroyed at once (409 ``referent_left`` again)."""
    referent = load(call, referent_id)
    left = execute(
        lambda version: call.ledger.referents.record_departure(
            referent.id, actor=call.actor, now=call.now, expected_version=version
        ),
        if_match,
    )
    tag(response, left.version)
    return referent_out(call, left)
