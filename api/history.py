"""A case's history for supervisors: its events without personal data, and its state as of an
instant (the aggregate replayed up to the last event recorded by then)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi.encoders import jsonable_encoder

from api.schemas import History, HistoryEvent
from application.ledger import Ledger
from domain.request import Request
from domain.sla_state import sla_state
from domain.structure import Structure

HEX_IDS: dict[Any, Any] = {UUID: lambda value: value.hex}
ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "actor", "originator_topic"}


def public_data(event: Any, structure: Structure) -> dict[str, Any]:
    """The event's own fields, minus its personal ones (sealed in the store, never shown here);
    the structure named by its code, as everywhere a person reads it."""
    hidden = ENVELOPE_FIELDS | set(getattr(type(event), "personal_fields", ()))
    fields = {name: value for name, value in vars(event).items() if name not in hidden}
    if fields.get("structure_id") == structure.id:
        fields["structure_id"] = structure.code
    encoded: dict[str, Any] = jsonable_encoder(fields, custom_encoder=HEX_IDS)
    return encoded


def state_of(request: Request, structure: Structure, as_of: datetime) -> dict[str, Any]:
    state = sla_state(request.due_at, request.first_response_at, as_of, structure.calendar)
    encoded: dict[str, Any] = jsonable_encoder(
        {
            "version": request.version,
            "status": request.status.value,
            "adviser": request.adviser,
            "due_at": request.due_at,
            "first_response_at": request.first_response_at,
            "sla_state": state.value if state else None,
            "responses": len(request.responses),
            "escalations": len(request.escalations),
            "actions": len(request.actions),
            "resolved_at": request.resolved_at,
            "outcome": request.outcome,
            "destruction_due_at": request.data_due_at,
            "personal_data_destroyed_at": request.destroyed_at,
        }
    )
    return encoded


def history_of(ledger: Ledger, request: Request, as_of: datetime) -> History:
    positions = ledger.positions.positions_of(request.id)
    stored: list[Any] = list(ledger.repository.event_store.get(request.id))
    events = [e for e in stored if e.timestamp <= as_of]
    structure: Structure = ledger.repository.get(request.structure_id)
    listed = [
        HistoryEvent(
            position=positions[event.originator_version],
            type=type(event).__qualname__,
            at=event.timestamp,
            actor={"name": event.actor.name, "role": event.actor.role},
            data=public_data(event, structure),
        )
        for event in events
    ]
    if not events:
        return History(events=[], state=None)
    replayed: Request = ledger.repository.get(request.id, version=events[-1].originator_version)
    return History(events=listed, state=state_of(replayed, structure, as_of))
