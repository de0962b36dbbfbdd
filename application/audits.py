"""Commands on ANCT flash audits (Art. 4.7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.unit import Unit
from domain.actor import Actor
from domain.audit_flash import FlashAudit, Result
from domain.structure import Structure, structure_uuid
from domain.validation import parse_enum


class AuditCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, audit_id: UUID) -> FlashAudit:
        return self.unit.load(FlashAudit, audit_id)

    def open_audit(
        self, *, structure_code: str, evidence: dict[str, Any], actor: Actor, now: datetime
    ) -> FlashAudit:
        """An audit of the structure, with the evidence the ledger held for it at ``now`` (the
        caller reads it from the views: ``projections.evidence``)."""
        structure = self.unit.load(Structure, structure_uuid(structure_code))
        audit = FlashAudit.open(structure_id=structure.id, evidence=evidence, actor=actor, now=now)
        self.unit.save(audit)
        return audit

    def assess_criterion(
        self,
        audit: UUID | FlashAudit,
        *,
        criterion: str,
        result: str,
        remark: str | None = None,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> FlashAudit:
        parsed = parse_enum(Result, result, "result")
        return self.unit.update(
            FlashAudit,
            audit,
            lambda a: a.assess(criterion, parsed, remark, actor=actor, now=now),
            expected_version,
        )

    def close_audit(
        self,
        audit: UUID | FlashAudit,
        *,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> FlashAudit:
        return self.unit.update(
            FlashAudit, audit, lambda a: a.close(actor=actor, now=now), expected_version
        )
