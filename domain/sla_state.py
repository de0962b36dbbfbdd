"""The state of a request against its 72 working hours deadline, as a pure function."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from domain.working_time import BusinessCalendar

DUE_SOON = timedelta(hours=24)


class SlaState(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    MISSED = "missed"


def on_time_rate(answered_on_time: int, answered_late: int, open_overdue: int) -> float | None:
    """The one on-time rate (dashboards and reports): requests answered on time among those whose
    outcome is known at the time of asking, i.e. answered (on time or late) or still unanswered
    past their deadline. ``None`` when none is known yet."""
    known = answered_on_time + answered_late + open_overdue
    return None if known == 0 else round(answered_on_time / known, 4)


def sla_state(
    due_at: datetime | None,
    first_response_at: datetime | None,
    now: datetime,
    calendar: BusinessCalendar,
) -> SlaState | None:
    """``None`` for channels without the rule; due soon = under 24 working hours left."""
    if due_at is None:
        return None
    if first_response_at is not None:
        return SlaState.MET if first_response_at <= due_at else SlaState.MISSED
    if now >= due_at:
        return SlaState.OVERDUE
    if calendar.working_time_between(now, due_at) < DUE_SOON:
        return SlaState.DUE_SOON
    return SlaState.ON_TIME
