"""Commands on personal data across cases: destroy an envelope, record a read of one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from application.ports import SaveExtras
from application.unit import Unit
from domain.access import DataAccess, Purpose
from domain.actor import Actor
from domain.aggregate import LedgerAggregate
from domain.breach import Breach
from domain.complaint import Complaint
from domain.errors import NotFound
from domain.mandate import Mandate
from domain.personal_data import DestructionReason
from domain.referent import Referent
from domain.request import Request
from domain.validation import parse_enum


class PersonalDataCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def owner_of(
        self, envelope_id: UUID
    ) -> Request | Mandate | Breach | Complaint | Referent | None:
        """The case, mandate, breach or complaint whose personal data the envelope holds
        (destroyed or not)."""
        owner_id = self.unit.keys.owner_of(envelope_id)
        owner: object = self.unit.repository.get(owner_id) if owner_id else None
        return (
            owner if isinstance(owner, Request | Mandate | Breach | Complaint | Referent) else None
        )

    def owners_of_subject(self, subject: str) -> list[Request | Mandate | Complaint]:
        """The cases, mandates and complaints whose live envelopes hold one person's data (by
        the keyed hash of ``subject``, a normalized identity), read at once; breaches and
        referents name no user."""
        owner_ids = [self.unit.keys.owner_of(e) for e in self.unit.keys.envelopes_of(subject)]
        found = self.unit.load_many(LedgerAggregate, [i for i in owner_ids if i is not None])
        return [owner for owner in found if isinstance(owner, Request | Mandate | Complaint)]

    def destroy_envelope(
        self,
        envelope_id: UUID,
        *,
        reason: str,
        actor: Actor,
        now: datetime,
        at: datetime | None = None,
        scrub: bool = True,
    ) -> Request | Mandate | Breach | Complaint | Referent:
        """Deletes the envelope's key and records it in one transaction, then scrubs the store
        (a caller destroying many at once passes ``scrub=False`` and calls ``scrub`` after).

        Idempotent: destroying a destroyed envelope records nothing more.
        """
        parsed = parse_enum(DestructionReason, reason, "reason")
        owner = self.owner_of(envelope_id)
        if owner is None:
            raise NotFound("no such envelope")
        if owner.destroy_personal_data(parsed, actor=actor, now=now, at=at):
            self.unit.save(owner, extras=SaveExtras(destroy_envelopes=(envelope_id,)))
            if scrub:
                self.scrub()
        return owner

    def scrub(self) -> bool:
        """Rewrites what the store keeps of deleted keys (SQLite WAL, PostgreSQL dead tuples);
        ``False`` while an older reader defers part of it to a later scrub."""
        return self.unit.keys.scrub()

    def record_access(
        self,
        owner: Request | Mandate | Complaint,
        *,
        endpoint: str,
        purpose: str,
        actor: Actor,
        now: datetime,
    ) -> DataAccess:
        """Records that ``actor`` was shown the personal data of ``owner``'s envelope (a
        complaint's read names its envelope and structure: the audit trail lists it by those)."""
        return self.record_accesses(
            [owner], endpoint=endpoint, purpose=purpose, actor=actor, now=now
        )[0]

    def record_accesses(
        self,
        owners: Sequence[Request | Mandate | Complaint | Referent],
        *,
        endpoint: str,
        purpose: str,
        actor: Actor,
        now: datetime,
    ) -> list[DataAccess]:
        """One read of several envelopes (a page listing people): one record each, one save."""
        parsed = parse_enum(Purpose, purpose, "purpose")
        accesses = [
            DataAccess.record(
                envelope_id=owner.envelope_id,
                structure_id=owner.structure_id,
                request_id=owner.id if isinstance(owner, Request) else None,
                mandate_id=owner.id if isinstance(owner, Mandate) else None,
                endpoint=endpoint,
                purpose=parsed,
                actor=actor,
                now=now,
            )
            for owner in owners
        ]
        if accesses:
            self.unit.save(*accesses)
        return accesses

    def purge_visit_tokens(self, keep_from: str) -> int:
        """Deletes the visit tokens of every quarter before ``keep_from``; how many."""
        return self.unit.keys.purge_visit_tokens(keep_from)
