"""Rule 2 (Art. 4.2): at least 24 hours a week over at least 5 days, computed from the timetable."""

from datetime import timedelta

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.structure import Structure, structure_uuid
from tests.builders import ADMIN, NOW, WEEKDAYS_9_TO_14


def register(timetable: list[dict[str, object]]) -> Structure:
    return Structure.register(
        code="moissac",
        name="FS Moissac",
        department="82",
        timetable=timetable,
        actor=ADMIN,
        now=NOW,
    )


def test_25_hours_over_5_days_meets_the_minimum() -> None:
    conformity = register(WEEKDAYS_9_TO_14).conformity(NOW)
    assert (conformity.weekly_hours, conformity.open_days, conformity.meets_minimum) == (
        25.0,
        5,
        True,
    )


def test_30_hours_over_4_days_does_not_meet_the_minimum() -> None:
    slots = [{"weekday": d, "opens": "09:00", "closes": "16:30"} for d in range(1, 5)]
    conformity = register(slots).conformity(NOW)
    assert (conformity.weekly_hours, conformity.open_days, conformity.meets_minimum) == (
        30.0,
        4,
        False,
    )


def test_23_hours_over_6_days_does_not_meet_the_minimum() -> None:
    slots = [{"weekday": d, "opens": "10:00", "closes": "13:50"} for d in range(1, 7)]
    assert not register(slots).conformity(NOW).meets_minimum


def test_overlapping_slots_of_one_day_are_refused() -> None:
    slots = [
        {"weekday": 1, "opens": "09:00", "closes": "12:00"},
        {"weekday": 1, "opens": "11:00", "closes": "15:00"},
    ]
    with pytest.raises(InvalidInput) as refused:
        register(slots)
    assert refused.value.field == "timetable"


@pytest.mark.parametrize(
    ("slot", "field"),
    [
        ({"weekday": 8, "opens": "09:00", "closes": "12:00"}, "timetable[0].weekday"),
        ({"weekday": 1, "opens": "9h", "closes": "12:00"}, "timetable[0].opens"),
        ({"weekday": 1, "opens": "12:00", "closes": "09:00"}, "timetable[0].closes"),
    ],
)
def test_a_malformed_slot_is_refused_with_its_field(slot: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        register([slot])
    assert refused.value.field == field


def test_the_aggregate_id_derives_from_the_structure_code() -> None:
    assert register(WEEKDAYS_9_TO_14).id == structure_uuid("moissac")


def test_a_timetable_change_is_announced_in_advance_and_applies_from_its_date() -> None:
    structure = register(WEEKDAYS_9_TO_14)
    effective = NOW + timedelta(days=14)
    structure.change_timetable(WEEKDAYS_9_TO_14[:3], effective, ADMIN, NOW)
    assert structure.conformity(NOW).meets_minimum
    assert not structure.conformity(effective).meets_minimum


def test_a_timetable_change_cannot_take_effect_in_the_past() -> None:
    structure = register(WEEKDAYS_9_TO_14)
    with pytest.raises(RuleViolation) as refused:
        structure.change_timetable(WEEKDAYS_9_TO_14, NOW - timedelta(days=1), ADMIN, NOW)
    assert refused.value.code == "timetable_change_in_past"
