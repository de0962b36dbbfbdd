"""The audit trail builds its rows from the stored values themselves (no event decoded): each
stored event type, upcast ones included, gives the row its decoded event gives (the stored
instants: ``test_stored_values``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification

from projections import audit as audit_view
from projections.db import hex_id, iso
from projections.stored import parse, uuid_hex
from store.open import transcoder
from store.sealing import SealingMapper

FIXTURES = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "stored_events.json").read_text()
)
OWNER = ("5" * 32, "e" * 32)


def notification_of(stored: dict[str, Any]) -> Notification:
    return Notification(
        id=7,
        originator_id=UUID(stored["originator_id"]),
        originator_version=stored["originator_version"],
        topic=stored["topic"],
        state=stored["state"].encode(),
    )


def row_of_event(event: Any, position: int, chain_hash: str) -> dict[str, Any]:
    """The row as it was built from the decoded event, before the view read stored values."""
    kind, _, name = type(event).__qualname__.partition(".")
    structure, envelope = OWNER
    row = dict.fromkeys(audit_view.COLUMNS)
    row |= {
        "position": position,
        "at": iso(event.timestamp),
        "actor": event.actor.name,
        "role": event.actor.role,
        "action": f"{kind}.{name}",
        "structure_id": hex_id(event.originator_id) if kind == "Structure" else structure,
        "envelope_id": envelope,
        "purpose": getattr(event, "purpose", None),
        "legal_basis": getattr(event, "legal_basis", None),
        "endpoint": getattr(event, "endpoint", None),
        "chain_hash": chain_hash,
    }
    by_kind = {"Request": "request_id", "Mandate": "mandate_id", "Breach": "breach_id"}
    if kind in by_kind:
        row[by_kind[kind]] = hex_id(event.originator_id)
    if kind == "Request" and name == "ActedOnBehalf":
        row["mandate_id"] = hex_id(event.mandate_id)
    if kind == "Mandate" and name == "Used":
        row["request_id"] = hex_id(event.request_id)
    if kind == "DataAccess":
        row["request_id"], row["mandate_id"] = hex_id(event.request_id), hex_id(event.mandate_id)
    return row


@pytest.mark.parametrize("stored", FIXTURES, ids=lambda f: f["topic"].split(":")[1])
def test_a_row_built_from_stored_values_equals_the_row_of_the_decoded_event(
    stored: dict[str, Any],
) -> None:
    notification = notification_of(stored)
    event = SealingMapper(transcoder(), keys=None).to_domain_event(notification)
    state = parse(notification)
    built = dict(
        zip(
            audit_view.COLUMNS,
            audit_view._row(notification, notification.originator_id.hex, state, OWNER, "ab" * 32),
            strict=True,
        )
    )
    assert built == row_of_event(event, 7, "ab" * 32)
    owner_fields = (
        uuid_hex(state.get("structure_id")),
        uuid_hex(state.get("envelope_id")),
    )
    assert owner_fields == (
        hex_id(getattr(event, "structure_id", None)),
        hex_id(getattr(event, "envelope_id", None)),
    )
