"""Art. 4.6: when personal data fall due for destruction, as pure arithmetic on instants."""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime

from domain.policy import Policy


def add_months(instant: datetime, months: int) -> datetime:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = instant.month - 1 + months
    year, month = instant.year + index // 12, index % 12 + 1
    day = min(instant.day, monthrange(year, month)[1])
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


def complaint_data_due_at(
    policy: Policy, received_at: datetime, answered_at: datetime | None
) -> datetime:
    """A complaint's data are kept N months after its answer; unanswered, as an inactive case."""
    if answered_at is not None:
        return add_months(answered_at, policy.complaint_retention_months)
    return add_months(received_at, policy.request_inactive_months)
