"""Mandates (Art. 4.6): sign with every precondition, read (a recorded access), revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.concurrency import command, tag
from api.deps import Adviser, Call, CaseReader, IfMatch, in_scope, parse_id, reading_for
from api.schemas import MandateIn, MandateOut, RevocationIn, StatusOut
from domain.access import Purpose
from domain.mandate import Mandate
from domain.structure import Structure, structure_uuid

router = APIRouter(prefix="/v1/mandates", tags=["mandates"])
READ_ENDPOINT = "GET /v1/mandates/{id}"


def load(call: Call, mandate_id: str) -> Mandate:
    mandate = call.ledger.mandates.get(parse_id(mandate_id, "mandate"))
    in_scope(call, mandate.structure_id, "mandate")
    return mandate


def status_out(call: Call, mandate: Mandate, response: Response) -> StatusOut:
    tag(response, mandate.version)
    return StatusOut(id=mandate.id.hex, version=mandate.version, status=mandate.status(call.now))


def preconditions(body: MandateIn) -> dict[str, Any]:
    """The body as the Ledger takes it; what is missing stays missing, for the Ledger to name."""
    verification, notice = body.identity_verification, body.information_notice
    return {
        "mandant": body.mandant.model_dump(),
        "identity_verification": verification.model_dump() if verification else {},
        "information_notice_version": (notice and notice.version) or "",
        "scopes": [scope.model_dump(mode="json") for scope in body.scopes],
        "valid_until": body.valid_until,
        "originals": body.originals,
        "signed_document_sha256": body.signed_document_sha256,
        "signed_on_site": body.signed_on_site,
    }


@router.post("", status_code=201)
def sign(body: MandateIn, call: Adviser, response: Response) -> StatusOut:
    """Refused (422 ``mandate_precondition_missing``) naming the first missing precondition."""
    in_scope(call, structure_uuid(body.structure_id), "structure")
    mandate = call.ledger.mandates.sign_mandate(
        structure_code=body.structure_id, **preconditions(body), actor=call.actor, now=call.now
    )
    return status_out(call, mandate, response)


@router.get("/{mandate_id}")
def read(
    mandate_id: str,
    call: CaseReader,
    response: Response,
    purpose: Annotated[Purpose, Query()] = Purpose.CASE_HANDLING,
) -> MandateOut:
    """Shows the mandant's identity: the read is recorded in the ledger (audit trail)."""
    reading_for(call, purpose)
    mandate = load(call, mandate_id)
    if mandate.mandant is not None:
        call.ledger.personal_data.record_access(
            mandate, endpoint=READ_ENDPOINT, purpose=purpose, actor=call.actor, now=call.now
        )
    structure: Structure = call.ledger.repository.get(mandate.structure_id)
    return mandate_out(status_out(call, mandate, response), mandate, structure)


def mandate_out(status: StatusOut, mandate: Mandate, structure: Structure) -> MandateOut:
    """The mandate as an adviser sees it: its mandant, or when the mandant was destroyed."""
    return MandateOut(
        **status.model_dump(),
        structure_id=structure.code,
        scopes=mandate.scopes,
        valid_until=mandate.valid_until,
        revoked_at=mandate.revoked_at,
        envelope_id=mandate.envelope_id.hex,
        uses=len(mandate.uses),
        mandant=mandate.mandant or {"destroyed_at": mandate.destroyed_at},
    )


@router.post("/{mandate_id}/revocation")
def revoke(
    mandate_id: str,
    body: RevocationIn,
    call: Adviser,
    response: Response,
    if_match: IfMatch = None,
) -> StatusOut:
    """Effective at once; revoking a revoked mandate records nothing more."""
    mandate = command(
        call.ledger.mandates.revoke_mandate, load(call, mandate_id), body, call, if_match
    )
    return status_out(call, mandate, response)
