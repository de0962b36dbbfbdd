"""Rule 6 (GDPR 33, 34): every breach in the register; CNIL within 72 elapsed hours."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.breach import Breach, BreachState, ExemptionGround, Phase
from domain.errors import BreachStateError, InvalidInput, LateReasonRequired
from domain.policy import Policy, RiskLevel
from tests.builders import DPO, NOW

FRIDAY = datetime(2026, 11, 27, 18, 0, tzinfo=NOW.tzinfo)


def facts(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "aware_at": FRIDAY,
        "detected_at": FRIDAY - timedelta(hours=2),
        "nature": ["confidentiality"],
        "description": "laptop stolen from the bus",
        "data_categories": ["identity", "caf_file_number"],
        "subject_categories": ["users"],
        "approx_subjects": 40,
        "approx_records": 120,
        "likely_consequences": "identity theft",
        "measures": "remote wipe requested",
        "contact": "dpo@example.org",
    }
    return base | overrides


def declare(policy: Policy | None = None, **overrides: Any) -> Breach:
    return Breach.declare(
        **facts(**overrides), policy=policy or Policy(), actor=DPO, now=FRIDAY + timedelta(hours=1)
    )


def notify(
    breach: Breach, at: datetime, reason: str | None = None, phase: Phase = Phase.INITIAL
) -> None:
    breach.notify_cnil(phase, at, "CNIL-2026-1", reason, actor=DPO, now=at)


def test_the_cnil_deadline_is_72_elapsed_hours_weekend_included() -> None:
    assert declare().cnil_deadline == FRIDAY + timedelta(hours=72)


@pytest.mark.parametrize(
    "aware_at",
    [
        datetime(2026, 3, 27, 10, 0, tzinfo=ZoneInfo("Europe/Paris")),  # spring: 23-hour Sunday
        datetime(2026, 10, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris")),  # autumn: 25-hour Sunday
    ],
)
def test_the_cnil_deadline_is_72_real_hours_across_a_clock_change(aware_at: datetime) -> None:
    breach = Breach.declare(
        **facts(aware_at=aware_at, detected_at=aware_at),
        policy=Policy(),
        actor=DPO,
        now=aware_at + timedelta(hours=1),
    )
    elapsed = breach.cnil_deadline.astimezone(UTC) - aware_at.astimezone(UTC)
    assert elapsed == timedelta(hours=72)
    assert breach.aware_at.utcoffset() == breach.cnil_deadline.utcoffset() == timedelta(0)


def test_the_notification_hours_are_configurable() -> None:
    assert declare(Policy(breach_notification_hours=96)).cnil_deadline == FRIDAY + timedelta(
        hours=96
    )


@pytest.mark.parametrize("field", ["description", "likely_consequences", "measures", "contact"])
def test_every_gdpr_33_3_text_field_is_required(field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        declare(**{field: ""})
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"nature": []}, "nature"),
        ({"nature": ["leak"]}, "nature[0]"),
        ({"data_categories": []}, "data_categories"),
        ({"approx_subjects": -1}, "approx_subjects"),
        ({"aware_at": FRIDAY + timedelta(days=1)}, "aware_at"),
    ],
)
def test_malformed_facts_are_refused_with_their_field(override: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        declare(**override)
    assert refused.value.field == field


def test_a_late_initial_notification_requires_the_reasons_for_the_delay() -> None:
    breach = declare()
    with pytest.raises(LateReasonRequired) as refused:
        notify(breach, breach.cnil_deadline + timedelta(seconds=1))
    assert (refused.value.code, refused.value.field) == ("late_reason_required", "late_reason")


def test_a_late_notification_with_reasons_is_recorded_as_late() -> None:
    breach = declare()
    at = breach.cnil_deadline + timedelta(hours=5)
    notify(breach, at, reason="scope only known on Tuesday")
    assert breach.state(at) == BreachState.NOTIFIED_LATE


def test_a_complementary_notification_follows_the_initial_one() -> None:
    breach = declare()
    with pytest.raises(BreachStateError):
        notify(breach, FRIDAY + timedelta(hours=3), phase=Phase.COMPLEMENTARY)
    notify(breach, FRIDAY + timedelta(hours=3))
    notify(breach, FRIDAY + timedelta(hours=90), phase=Phase.COMPLEMENTARY)
    assert [n["phase"] for n in breach.notifications] == ["initial", "complementary"]


def test_the_initial_notification_is_made_once() -> None:
    breach = declare()
    notify(breach, FRIDAY + timedelta(hours=3))
    with pytest.raises(BreachStateError):
        notify(breach, FRIDAY + timedelta(hours=4))


@pytest.mark.parametrize(
    ("hours_after_awareness", "expected"),
    [
        (1, BreachState.ON_TIME),
        (49, BreachState.DUE_SOON),
        (72, BreachState.OVERDUE),
    ],
)
def test_an_unnotified_breach_runs_against_its_deadline(
    hours_after_awareness: int, expected: BreachState
) -> None:
    assert declare().state(FRIDAY + timedelta(hours=hours_after_awareness)) == expected


def test_a_breach_without_risk_needs_no_notification_but_stays_in_the_register() -> None:
    breach = declare()
    breach.assess_risk(RiskLevel.NONE, "encrypted disk", actor=DPO, now=FRIDAY + timedelta(hours=2))
    assert breach.state(FRIDAY + timedelta(days=10)) == BreachState.NOT_REQUIRED
    breach.close(FRIDAY + timedelta(days=10), actor=DPO, now=FRIDAY + timedelta(days=10))
    assert breach.closed_at is not None


def test_a_notifiable_breach_cannot_close_unnotified() -> None:
    breach = declare()
    breach.assess_risk(RiskLevel.RISK, "names exposed", actor=DPO, now=FRIDAY + timedelta(hours=2))
    with pytest.raises(BreachStateError) as refused:
        breach.close(FRIDAY + timedelta(hours=3), actor=DPO, now=FRIDAY + timedelta(hours=3))
    assert refused.value.code == "cnil_notification_missing"


def test_a_high_risk_breach_needs_subjects_informed_or_an_exemption_ground() -> None:
    breach = declare()
    at = FRIDAY + timedelta(hours=3)
    breach.assess_risk(RiskLevel.HIGH, "file numbers exposed", actor=DPO, now=at)
    notify(breach, at)
    with pytest.raises(BreachStateError) as refused:
        breach.close(at, actor=DPO, now=at)
    assert refused.value.code == "subjects_not_informed"
    breach.exempt_subjects(ExemptionGround.UNINTELLIGIBLE, "disk encrypted", actor=DPO, now=at)
    breach.close(at, actor=DPO, now=at)
    assert breach.closed_at == at


def test_the_notification_threshold_is_configurable() -> None:
    breach = declare(Policy(breach_notification_threshold=RiskLevel.HIGH))
    breach.assess_risk(RiskLevel.RISK, "limited", actor=DPO, now=FRIDAY + timedelta(hours=2))
    assert not breach.notification_required
