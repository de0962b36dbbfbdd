"""Commands on partner referents (Art. 5.2.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports import SaveExtras
from application.unit import Unit
from domain.actor import Actor
from domain.referent import Referent
from domain.structure import Structure, structure_uuid


class ReferentCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, referent_id: UUID) -> Referent:
        return self.unit.load(Referent, referent_id)

    def get_many(self, referent_ids: Sequence[UUID]) -> list[Referent]:
        return self.unit.load_many(Referent, referent_ids)

    def appoint_referent(
        self,
        *,
        structure_code: str,
        partner: str,
        contact: dict[str, Any],
        actor: Actor,
        now: datetime,
    ) -> Referent:
        """A partner's referent for the structure, its details sealed in its own envelope (no
        subject hash: a referent is staff, never a user the access search looks for)."""
        structure = self.unit.load(Structure, structure_uuid(structure_code))
        structure.require_partner(partner)
        referent = Referent.appoint(
            structure_id=structure.id, partner=partner, contact=contact, actor=actor, now=now
        )
        self.unit.save_opening(referent, referent.envelope_id, None)
        return referent

    def change_referent_contact(
        self,
        referent: UUID | Referent,
        *,
        contact: dict[str, Any],
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Referent:
        return self.unit.update(
            Referent,
            referent,
            lambda r: r.change_contact(contact, actor=actor, now=now),
            expected_version,
        )

    def record_departure(
        self,
        referent: UUID | Referent,
        *,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Referent:
        """The referent left: recorded, and their details destroyed (key deleted) at once."""
        found = self.unit.load(Referent, referent, expected_version)
        alive = found.destroyed_at is None
        found.leave(actor=actor, now=now)
        if not alive:  # destroyed before, at their own request: the departure only
            self.unit.save(found)
            return found
        self.unit.save(found, extras=SaveExtras(destroy_envelopes=(found.envelope_id,)))
        self.unit.keys.scrub()
        return found
