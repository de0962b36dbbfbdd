"""Configurable rules (the defaults of DOMAIN.md) and the pure retention arithmetic."""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    breach_notification_hours: float = 72.0
    breach_notification_threshold: RiskLevel = RiskLevel.RISK
    request_resolved_grace: timedelta = timedelta(0)
    request_inactive_months: int = 24
    mandate_retention_years: int = 6


def add_months(instant: datetime, months: int) -> datetime:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = instant.month - 1 + months
    year, month = instant.year + index // 12, index % 12 + 1
    day = min(instant.day, _calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


def request_data_due_at(
    policy: Policy, last_activity: datetime, resolved_at: datetime | None
) -> datetime:
    """Art. 4.6: destroyed at resolution (plus grace), else N months after last activity."""
    if resolved_at is not None:
        return resolved_at + policy.request_resolved_grace
    return add_months(last_activity, policy.request_inactive_months)


def mandate_data_due_at(policy: Policy, ended_at: datetime) -> datetime:
    """Mandate data are kept as proof for N years after the mandate ends."""
    return add_months(ended_at, 12 * policy.mandate_retention_years)
