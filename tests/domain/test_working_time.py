"""Rule 1 (Art. 4.2): 72 working hours, in the structure's time zone and holidays."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import working_time as cal
from domain.errors import InvalidInput
from domain.working_time import BusinessCalendar, subdivision_of, time_zone_of

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
HOURS = 72


@pytest.fixture(params=["C.UTF-8", "fr_FR.UTF-8", "en_US.UTF-8"], autouse=True)
def server_locale(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every calendar test runs under each language a server may run with (the holidays
    package translates holiday names from LANG / LANGUAGE)."""
    monkeypatch.setenv("LANG", request.param)
    monkeypatch.setenv("LANGUAGE", request.param.split(".")[0])
    cal._public_holidays.cache_clear()
    yield request.param
    cal._public_holidays.cache_clear()


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_the_domain_example_skips_ascension_and_the_weekend() -> None:
    calendar = BusinessCalendar("82")
    assert calendar.deadline(paris(2026, 5, 13, 15), HOURS) == paris(2026, 5, 19, 15)


def test_time_received_on_a_weekend_starts_counting_on_the_next_working_day() -> None:
    calendar = BusinessCalendar("82")
    assert calendar.deadline(paris(2026, 11, 28, 10), HOURS) == paris(2026, 12, 3, 0)


def test_a_count_ending_at_friday_midnight_is_due_at_the_next_working_instant() -> None:
    calendar = BusinessCalendar("82")
    assert calendar.deadline(paris(2026, 11, 25, 0), HOURS) == paris(2026, 11, 30, 0)


def test_alsace_moselle_adds_good_friday() -> None:
    received = paris(2026, 4, 2, 10)
    assert BusinessCalendar("82").deadline(received, HOURS) == paris(2026, 4, 8, 10)
    assert BusinessCalendar("57").deadline(received, HOURS) == paris(2026, 4, 9, 10)


def test_alsace_adds_saint_stephens_day() -> None:
    received = paris(2025, 12, 24, 0)
    assert BusinessCalendar("82").deadline(received, HOURS) == paris(2025, 12, 30, 0)
    assert BusinessCalendar("67").deadline(received, HOURS) == paris(2025, 12, 31, 0)


def test_whit_monday_is_a_holiday_unless_the_structure_declares_it_worked() -> None:
    received = paris(2026, 5, 22, 12)
    assert BusinessCalendar("82").deadline(received, HOURS) == paris(2026, 5, 28, 12)
    assert BusinessCalendar("82", whit_monday_worked=True).deadline(received, HOURS) == paris(
        2026, 5, 27, 12
    )


def test_overseas_departments_count_days_in_their_own_time_zone() -> None:
    received = datetime(2026, 11, 23, 20, tzinfo=UTC)  # Tuesday 00:00 in Reunion
    due = BusinessCalendar("974").deadline(received, HOURS)
    assert due.astimezone(REUNION) == datetime(2026, 11, 27, 0, tzinfo=REUNION)


def test_department_codes_map_to_holiday_subdivisions_and_time_zones() -> None:
    assert [subdivision_of(d) for d in ("57", "67", "68", "82", "974", "988")] == [
        "57",
        "6AE",
        "6AE",
        None,
        "974",
        "NC",
    ]
    assert str(time_zone_of("2A")) == "Europe/Paris"
    assert str(time_zone_of("973")) == "America/Cayenne"


def test_an_unknown_department_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        BusinessCalendar("20")
    assert refused.value.field == "department"


def test_working_time_between_counts_only_working_days() -> None:
    calendar = BusinessCalendar("82")
    friday_noon, monday_noon = paris(2026, 11, 27, 12), paris(2026, 11, 30, 12)
    assert calendar.working_time_between(friday_noon, monday_noon) == timedelta(hours=24)
    assert calendar.working_time_between(monday_noon, friday_noon) == timedelta(0)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
)
calendars = st.builds(
    BusinessCalendar, st.sampled_from(["82", "57", "67", "974", "971", "2A"]), st.booleans()
)


@settings(max_examples=300, deadline=None)
@given(calendars, instants)
def test_property_the_deadline_never_falls_on_a_non_working_instant(
    calendar: BusinessCalendar, received: datetime
) -> None:
    assert calendar.is_working_instant(calendar.deadline(received, HOURS))


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants)
def test_property_the_deadline_is_monotonic_in_receipt_time(
    calendar: BusinessCalendar, first: datetime, second: datetime
) -> None:
    earlier, later = sorted((first, second))
    assert calendar.deadline(earlier, HOURS) <= calendar.deadline(later, HOURS)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, st.integers(min_value=1, max_value=200))
def test_property_exactly_the_given_working_hours_elapse(
    calendar: BusinessCalendar, received: datetime, hours: int
) -> None:
    due = calendar.deadline(received, hours)
    assert due > received
    assert calendar.working_time_between(received, due) == timedelta(hours=hours)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, st.integers(min_value=1, max_value=100))
def test_property_rewind_leaves_exactly_the_given_working_hours(
    calendar: BusinessCalendar, end: datetime, hours: int
) -> None:
    start = calendar.rewind(end, hours)
    assert calendar.working_time_between(start, end) == timedelta(hours=hours)
    assert calendar.working_time_between(start + timedelta(seconds=1), end) < timedelta(hours=hours)


def test_rewind_from_a_monday_morning_lands_on_friday() -> None:
    calendar = BusinessCalendar("82")
    assert calendar.rewind(paris(2026, 11, 30, 10), 24) == paris(2026, 11, 27, 10)


def test_preload_loads_this_and_next_years_holidays_so_no_request_pays_for_it() -> None:
    holiday_tables = cal._public_holidays
    holiday_tables.cache_clear()
    cal._DAYS.clear()
    cal.preload(2026)
    assert holiday_tables.cache_info().currsize == 2
    loaded = holiday_tables.cache_info().misses
    assert not BusinessCalendar("75").is_working_day(date(2027, 5, 1))
    assert holiday_tables.cache_info().misses == loaded  # 2027's table was already there


def test_a_worked_whit_monday_is_decided_by_date_whatever_the_servers_language() -> None:
    friday = paris(2026, 5, 22, 12)
    worked = BusinessCalendar("82", whit_monday_worked=True)
    assert worked.is_working_day(date(2026, 5, 25))
    assert worked.deadline(friday, HOURS) == paris(2026, 5, 27, 12)
    assert not BusinessCalendar("82").is_working_day(date(2026, 5, 25))
    assert BusinessCalendar("82").deadline(friday, HOURS) == paris(2026, 5, 28, 12)


CALENDARS = [
    BusinessCalendar(department, whit)
    for department in ("82", "57", "2A", "974", "973")
    for whit in (False, True)
]
INSTANTS = st.datetimes(
    min_value=datetime(2019, 12, 20), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
)


@given(
    st.sampled_from(CALENDARS),
    INSTANTS,
    INSTANTS,
    st.sampled_from([0.5, 1, 24, 72, 200, 1000]),
)
@settings(max_examples=300, deadline=None)
def test_the_running_totals_agree_with_a_walk_day_by_day(
    calendar: BusinessCalendar, first: datetime, second: datetime, hours: float
) -> None:
    """Deadlines, rewinds and elapsed working time read from the running totals (prefix sums)
    equal the day-by-day walk they replaced, across time zones, holidays, DST and years."""
    assert calendar.deadline(first, hours) == calendar._walk_deadline(first, hours)
    assert calendar.rewind(first, hours) == calendar._walk_rewind(first, hours)
    assert calendar.working_time_between(first, second) == calendar._walk_between(first, second)
    assert calendar.working_time_between(second, first) == calendar._walk_between(second, first)


def test_a_whit_monday_that_is_also_another_holiday_stays_off() -> None:
    """In French Guiana, 10 June (abolition of slavery) was Whit Monday in 2019 and will be in
    2030: the holiday table names both on one day (the calendar once failed on those years)."""
    for worked in (False, True):
        guiana = BusinessCalendar("973", whit_monday_worked=worked)
        assert not guiana.is_working_day(date(2030, 6, 10))
        assert not guiana.is_working_day(date(2019, 6, 10))
    assert BusinessCalendar("973", whit_monday_worked=True).is_working_day(date(2026, 5, 25))
