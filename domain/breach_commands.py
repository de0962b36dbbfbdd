"""Ledger commands on personal-data breaches: the register and the CNIL notification."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.breach import Breach, ExemptionGround, Phase
from domain.common import Actor, parse_enum
from domain.policy import RiskLevel
from domain.service import LedgerBase


class BreachCommands(LedgerBase):
    def declare_breach(self, *, actor: Actor, now: datetime, **facts: Any) -> Breach:
        """Every breach enters the register, notifiable or not (GDPR 33(5))."""
        breach = Breach.declare(policy=self.policy, actor=actor, now=now, **facts)
        self._save(breach)
        return breach

    def get_breach(self, breach_id: UUID) -> Breach:
        return self._load(Breach, breach_id)

    def assess_breach_risk(
        self,
        breach_id: UUID,
        *,
        level: str,
        rationale: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        parsed = parse_enum(RiskLevel, level, "level")
        return self._update(
            Breach,
            breach_id,
            lambda b: b.assess_risk(parsed, rationale, actor=actor, now=now),
            expected_version,
        )

    def notify_cnil(
        self,
        breach_id: UUID,
        *,
        phase: str,
        at: datetime,
        reference: str,
        late_reason: str | None = None,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        """A late initial notification must carry the reasons for the delay (422 otherwise)."""
        parsed = parse_enum(Phase, phase, "phase")
        return self._update(
            Breach,
            breach_id,
            lambda b: b.notify_cnil(parsed, at, reference, late_reason, actor=actor, now=now),
            expected_version,
        )

    def inform_breach_subjects(
        self,
        breach_id: UUID,
        *,
        at: datetime,
        channel: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        return self._update(
            Breach,
            breach_id,
            lambda b: b.inform_subjects(at, channel, actor=actor, now=now),
            expected_version,
        )

    def exempt_breach_subjects(
        self,
        breach_id: UUID,
        *,
        ground: str,
        rationale: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        parsed = parse_enum(ExemptionGround, ground, "ground")
        return self._update(
            Breach,
            breach_id,
            lambda b: b.exempt_subjects(parsed, rationale, actor=actor, now=now),
            expected_version,
        )

    def close_breach(
        self,
        breach_id: UUID,
        *,
        at: datetime,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        return self._update(
            Breach, breach_id, lambda b: b.close(at, actor=actor, now=now), expected_version
        )
