"""Commands on mandates: sign, revoke, expire."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from application.unit import Unit
from domain.actor import Actor
from domain.errors import every_problem, refuse_all
from domain.mandate import Mandate, RevocationChannel
from domain.personal_data import normalized_identity, validate_person
from domain.structure import Structure, structure_uuid
from domain.validation import parse_enum


class MandateCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, mandate_id: UUID) -> Mandate:
        return self.unit.load(Mandate, mandate_id)

    def sign_mandate(
        self,
        *,
        structure_code: str,
        mandant: dict[str, Any],
        identity_verification: dict[str, Any],
        information_notice_version: str,
        scopes: list[dict[str, Any]],
        valid_until: datetime,
        originals: int,
        signed_document_sha256: str,
        signed_on_site: bool,
        actor: Actor,
        now: datetime,
    ) -> Mandate:
        """Refused (422) naming every missing or malformed precondition of Art. 4.6 at once."""
        structure = self.unit.load(Structure, structure_uuid(structure_code))
        signed: list[Mandate] = []

        def sign() -> None:
            signed.append(
                Mandate.sign(
                    structure_id=structure.id,
                    mandant=mandant,
                    identity_verification=identity_verification,
                    information_notice_version=information_notice_version,
                    scopes=scopes,
                    valid_until=valid_until,
                    originals=originals,
                    signed_document_sha256=signed_document_sha256,
                    signed_on_site=signed_on_site,
                    policy=self.unit.policy,
                    actor=actor,
                    now=now,
                )
            )

        partners = [
            partial(structure.require_partner, str(scope.get("partner")), f"scopes[{i}].partner")
            for i, scope in enumerate(scopes)
            if isinstance(scope, dict)
        ]
        refuse_all(every_problem([sign, *partners]))
        (mandate,) = signed
        subject = normalized_identity(validate_person(mandant, "mandant"))
        self.unit.save_opening(mandate, mandate.envelope_id, subject)
        return mandate

    def revoke_mandate(
        self,
        mandate: UUID | Mandate,
        *,
        requested_by: str,
        channel: str,
        reason: str,
        at: datetime,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Mandate:
        """Revocable at any time, effective at once; revoking twice records nothing more."""
        parsed = parse_enum(RevocationChannel, channel, "channel")
        return self.unit.update(
            Mandate,
            mandate,
            lambda m: m.revoke(
                requested_by=requested_by,
                channel=parsed,
                reason=reason,
                at=at,
                policy=self.unit.policy,
                actor=actor,
                now=now,
            ),
            expected_version,
        )

    def expire_mandate(self, mandate: UUID | Mandate, *, actor: Actor, now: datetime) -> bool:
        """Records that the mandate ended at its ``valid_until``; ``False`` when it has not
        ended yet or its expiry is already recorded (nothing recorded then)."""
        found = self.unit.load(Mandate, mandate)
        if not found.expire(actor=actor, now=now):
            return False
        self.unit.save(found)
        return True
