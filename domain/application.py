"""The Ledger: the service layer. Each command loads, lets one aggregate decide, saves once."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from domain.access import DataAccess, Purpose
from domain.alert_commands import AlertCommands
from domain.breach_commands import BreachCommands
from domain.common import Actor, parse_enum
from domain.errors import NotFound, VersionConflict
from domain.mandate import Mandate
from domain.mandate_commands import MandateCommands
from domain.personal_data import DestructionReason
from domain.request import Request
from domain.service import EnvelopeKeys
from domain.structure import Structure

__all__ = ["EnvelopeKeys", "Ledger"]


class Ledger(MandateCommands, BreachCommands, AlertCommands):
    def register_structure(
        self,
        *,
        code: str,
        name: str,
        department: str,
        timetable: list[dict[str, Any]],
        whit_monday_worked: bool = False,
        local_partners: list[str] | None = None,
        actor: Actor,
        now: datetime,
    ) -> Structure:
        structure = Structure.register(
            code=code,
            name=name,
            department=department,
            timetable=timetable,
            whit_monday_worked=whit_monday_worked,
            local_partners=local_partners,
            actor=actor,
            now=now,
        )
        try:
            self.save(structure)
        except RecordConflictError:
            raise VersionConflict(
                "a structure with this id exists", field="id", code="structure_exists"
            ) from None
        return structure

    def change_timetable(
        self,
        code: str,
        timetable: list[dict[str, Any]],
        effective_from: datetime,
        *,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Structure:
        """Announced in advance (Art. 4.2): it takes effect now or later, never in the past."""
        return self._update(
            Structure,
            self.get_structure(code).id,
            lambda s: s.change_timetable(timetable, effective_from, actor, now),
            expected_version,
        )

    def destroy_envelope(
        self, envelope_id: UUID, *, reason: str, actor: Actor, now: datetime
    ) -> Request | Mandate:
        """Deletes the envelope's key and records it in one transaction, then scrubs the store.

        Idempotent: destroying a destroyed envelope records nothing more.
        """
        parsed = parse_enum(DestructionReason, reason, "reason")
        owner_id = self.keys.owner_of(envelope_id)
        if owner_id is None:
            raise NotFound("no such envelope")
        owner: object = self.repository.get(owner_id)
        if not isinstance(owner, Request | Mandate):
            raise NotFound("no such envelope")
        if owner.destroy_personal_data(parsed, actor=actor, now=now):
            self._save(owner, destroy_envelopes=[envelope_id])
            self.keys.scrub()
        return owner

    def record_access(
        self, owner: Request | Mandate, *, endpoint: str, purpose: str, actor: Actor, now: datetime
    ) -> DataAccess:
        """Records that ``actor`` was shown the personal data of ``owner``'s envelope."""
        is_request = isinstance(owner, Request)
        access = DataAccess.record(
            envelope_id=owner.envelope_id,
            structure_id=owner.structure_id,
            request_id=owner.id if is_request else None,
            mandate_id=None if is_request else owner.id,
            endpoint=endpoint,
            purpose=parse_enum(Purpose, purpose, "purpose"),
            actor=actor,
            now=now,
        )
        self._save(access)
        return access
