"""Commands on personal-data breaches: the register and the CNIL notification (GDPR 33)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.unit import Unit
from domain.actor import Actor
from domain.breach import Breach, ExemptionGround, Phase
from domain.policy import RiskLevel
from domain.validation import parse_enum


class BreachCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, breach_id: UUID) -> Breach:
        return self.unit.load(Breach, breach_id)

    def declare_breach(self, *, actor: Actor, now: datetime, **facts: Any) -> Breach:
        """Every breach enters the register, notifiable or not (GDPR 33(5))."""
        breach = Breach.declare(policy=self.unit.policy, actor=actor, now=now, **facts)
        if breach.envelope_id is None:  # never: a new breach has its envelope
            raise ValueError("a breach is declared with its envelope")
        self.unit.save_opening(breach, breach.envelope_id, None)  # no subject: texts, not a person
        return breach

    def assess_breach_risk(
        self,
        breach: UUID | Breach,
        *,
        level: str,
        rationale: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        parsed = parse_enum(RiskLevel, level, "level")
        return self.unit.update(
            Breach,
            breach,
            lambda b: b.assess_risk(parsed, rationale, actor=actor, now=now),
            expected_version,
        )

    def notify_cnil(
        self,
        breach: UUID | Breach,
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
        return self.unit.update(
            Breach,
            breach,
            lambda b: b.notify_cnil(parsed, at, reference, late_reason, actor=actor, now=now),
            expected_version,
        )

    def inform_breach_subjects(
        self,
        breach: UUID | Breach,
        *,
        at: datetime,
        channel: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        return self.unit.update(
            Breach,
            breach,
            lambda b: b.inform_subjects(at, channel, actor=actor, now=now),
            expected_version,
        )

    def exempt_breach_subjects(
        self,
        breach: UUID | Breach,
        *,
        ground: str,
        rationale: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        parsed = parse_enum(ExemptionGround, ground, "ground")
        return self.unit.update(
            Breach,
            breach,
            lambda b: b.exempt_subjects(parsed, rationale, actor=actor, now=now),
            expected_version,
        )

    def close_breach(
        self,
        breach: UUID | Breach,
        *,
        at: datetime,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Breach:
        return self.unit.update(
            Breach, breach, lambda b: b.close(at, actor=actor, now=now), expected_version
        )
