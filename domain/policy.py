"""The numbers a department may tune (the defaults of DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class RiskLevel(StrEnum):
    NONE = "none"
    RISK = "risk"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)


@dataclass(frozen=True)
class Policy:
    """Every number a department may tune; the Ledger reads nothing else."""

    response_working_hours: float = 72.0
    mandate_max_months: int = 12
    mandate_required_originals: int = 2
    identity_verification_max_age: timedelta = timedelta(hours=24)
    breach_notification_hours: float = 72.0
    breach_notification_threshold: RiskLevel = RiskLevel.RISK
    request_resolved_grace: timedelta = timedelta(0)
    request_inactive_months: int = 24
    mandate_retention_years: int = 6
    breach_retention_years: int = 5
    survey_link_validity: timedelta = timedelta(days=30)
    complaint_answer_days: int = 30
    complaint_retention_months: int = 12
