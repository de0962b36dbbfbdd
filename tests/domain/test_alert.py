"""Alerts are raised once per subject, due date and level; acknowledged once."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.actor import SYSTEM
from domain.alert import Alert, AlertKind, AlertLevel
from domain.errors import RuleViolation
from tests.builders import DPO, NOW


def test_the_same_alert_has_the_same_id_whoever_raises_it() -> None:
    subject, due = uuid4(), NOW + timedelta(hours=72)
    first = Alert.raise_(
        kind=AlertKind.CNIL,
        subject_id=subject,
        due_at=due,
        level=AlertLevel.WARNING,
        actor=SYSTEM,
        now=NOW,
    )
    again = Alert.raise_(
        kind=AlertKind.CNIL,
        subject_id=subject,
        due_at=due,
        level=AlertLevel.WARNING,
        actor=SYSTEM,
        now=NOW + timedelta(hours=1),
    )
    critical = Alert.raise_(
        kind=AlertKind.CNIL,
        subject_id=subject,
        due_at=due,
        level=AlertLevel.CRITICAL,
        actor=SYSTEM,
        now=NOW,
    )
    assert first.id == again.id != critical.id


def test_an_alert_is_acknowledged_once() -> None:
    alert = Alert.raise_(
        kind=AlertKind.SLA,
        subject_id=uuid4(),
        due_at=NOW,
        level=AlertLevel.CRITICAL,
        actor=SYSTEM,
        now=NOW,
    )
    alert.acknowledge(actor=DPO, now=NOW)
    with pytest.raises(RuleViolation) as refused:
        alert.acknowledge(actor=DPO, now=NOW)
    assert refused.value.code == "alert_acknowledged"
    assert alert.acknowledged_by == "dpo-lea"


def test_an_alert_is_the_same_whatever_the_offset_its_due_instant_is_written_in() -> None:
    due = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    paris = due.astimezone(ZoneInfo("Europe/Paris"))
    assert alert_id_of(due) == alert_id_of(paris)


def alert_id_of(due: datetime) -> UUID:
    return Alert.raise_(
        kind=AlertKind.SLA,
        subject_id=UUID(int=5),
        due_at=due,
        level=AlertLevel.WARNING,
        actor=SYSTEM,
        now=due,
    ).id
