"""Envelopes of personal data: what falls due for destruction, and destroying one (its key).
DPOs only, across structures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Dpo, parse_id
from api.schemas import DestructionIn, DestructionOut
from api.schemas.common import Instant
from projections import retention

router = APIRouter(prefix="/v1/envelopes", tags=["envelopes"])


@router.post("/{envelope_id}/destruction")
def destroy(envelope_id: str, body: DestructionIn, call: Dpo) -> DestructionOut:
    """Deletes the key and records it in one transaction; ``destroyed_at`` is that instant.
    Destroying a destroyed envelope records nothing and answers the first destruction."""
    envelope = parse_id(envelope_id, "envelope")
    owner = call.ledger.personal_data.destroy_envelope(
        envelope, reason=body.reason, actor=call.actor, now=call.now, at=body.at
    )
    if owner.destroyed_at is None:
        raise RuntimeError("destroy_envelope returned an owner without its destruction")
    return DestructionOut(envelope_id=envelope.hex, destroyed_at=owner.destroyed_at)


@router.get("/due")
def due(
    call: Dpo,
    before: Annotated[Instant | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    """The scheduler's queue: live envelopes whose data fall due by ``before`` (default now),
    earliest first, with the reason their destruction will record (from the ``retention``
    view; the scheduler destroys them at its next tick)."""
    with call.services.reading() as tx:
        found = retention.due(tx, before or call.now, limit)
    return [
        {
            "envelope_id": row["envelope_id"],
            "kind": row["owner_kind"],
            "id": row["owner_id"],
            "structure_id": row["structure_code"],
            "due_at": row["data_due_at"],
            "reason": row["reason"],
        }
        for row in found
    ]
