"""Mandates (Art. 4.6): sign with every precondition, read (a recorded access), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.concurrency import execute, tag
from api.deps import (
    Adviser,
    CaseReader,
    IfMatch,
    LedgerDep,
    NowDep,
    in_scope,
    parse_id,
    reading_for,
)
from api.schemas import MandateIn, MandateOut, RevocationIn, StatusOut
from domain.access import Purpose
from domain.application import Ledger
from domain.mandate import Mandate
from domain.structure import Structure, structure_uuid

router = APIRouter(prefix="/v1/mandates", tags=["mandates"])
READ_ENDPOINT = "GET /v1/mandates/{id}"


def load(ledger: Ledger, caller: Adviser, mandate_id: str) -> Mandate:
    mandate = ledger.get_mandate(parse_id(mandate_id, "mandate"))
    in_scope(caller, mandate.structure_id, "mandate")
    return mandate


@router.post("", status_code=201)
def sign(
    body: MandateIn, caller: Adviser, ledger: LedgerDep, now: NowDep, response: Response
) -> StatusOut:
    """Refused (422 ``mandate_precondition_missing``) naming the first missing precondition."""
    in_scope(caller, structure_uuid(body.structure_id), "structure")
    verification = body.identity_verification
    mandate = ledger.sign_mandate(
        structure_code=body.structure_id,
        mandant=body.mandant.model_dump(),
        identity_verification=verification.model_dump() if verification else {},
        information_notice_version=(body.information_notice and body.information_notice.version)
        or "",
        scopes=[scope.model_dump(mode="json") for scope in body.scopes],
        valid_until=body.valid_until,  # type: ignore[arg-type]  # the Ledger names it if absent
        originals=body.originals,  # type: ignore[arg-type]
        signed_document_sha256=body.signed_document_sha256,  # type: ignore[arg-type]
        signed_on_site=body.signed_on_site,  # type: ignore[arg-type]
        actor=caller.actor,
        now=now,
    )
    tag(response, mandate.version)
    return StatusOut(id=mandate.id.hex, version=mandate.version, status=mandate.status(now))


@router.get("/{mandate_id}")
def read(
    mandate_id: str,
    caller: CaseReader,
    ledger: LedgerDep,
    now: NowDep,
    response: Response,
    purpose: Annotated[Purpose, Query()] = Purpose.CASE_HANDLING,
) -> MandateOut:
    """Shows the mandant's identity: the read is recorded in the ledger (audit trail)."""
    reading_for(caller, purpose)
    mandate = load(ledger, caller, mandate_id)
    if mandate.mandant is not None:
        ledger.record_access(
            mandate, endpoint=READ_ENDPOINT, purpose=purpose, actor=caller.actor, now=now
        )
    structure: Structure = ledger.repository.get(mandate.structure_id)
    tag(response, mandate.version)
    return MandateOut(
        id=mandate.id.hex,
        version=mandate.version,
        status=mandate.status(now),
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
    caller: Adviser,
    ledger: LedgerDep,
    now: NowDep,
    response: Response,
    if_match: IfMatch = None,
) -> StatusOut:
    """Effective at once; revoking a revoked mandate records nothing more."""
    found = load(ledger, caller, mandate_id)
    mandate = execute(
        lambda version: ledger.revoke_mandate(
            found.id,
            requested_by=body.requested_by,
            channel=body.channel,
            reason=body.reason,
            at=body.at,
            actor=caller.actor,
            now=now,
            expected_version=version,
        ),
        if_match,
    )
    tag(response, mandate.version)
    return StatusOut(id=mandate.id.hex, version=mandate.version, status=mandate.status(now))
