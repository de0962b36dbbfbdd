"""Destruction of an envelope's personal data (its key): DPOs only, across structures."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Dpo, parse_id
from api.problems import ApiError
from api.schemas import DestructionIn, DestructionOut

router = APIRouter(prefix="/v1/envelopes", tags=["envelopes"])


@router.post("/{envelope_id}/destruction")
def destroy(envelope_id: str, body: DestructionIn, call: Dpo) -> DestructionOut:
    """Deletes the key and records it in one transaction; ``destroyed_at`` is that instant.
    Destroying a destroyed envelope records nothing and answers the first destruction."""
    if body.at is not None and body.at > call.now:
        raise ApiError(422, "invalid_input", "at cannot be in the future", "at")
    envelope = parse_id(envelope_id, "envelope")
    owner = call.ledger.personal_data.destroy_envelope(
        envelope, reason=body.reason, actor=call.actor, now=call.now
    )
    if owner.destroyed_at is None:
        raise RuntimeError("destroy_envelope returned an owner without its destruction")
    return DestructionOut(envelope_id=envelope.hex, destroyed_at=owner.destroyed_at)
