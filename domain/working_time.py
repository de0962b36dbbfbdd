"""The business calendar of one structure: working days, and deadlines in working hours.

Rule 1 (Art. 4.2): working time runs 24 h a day on working days (Monday to Friday, French public
holidays excluded, with the structure's subdivision), in the structure's own time zone. A deadline
is the earliest working instant at which the given working time has elapsed since receipt. When
the count ends exactly at the midnight that closes a working day followed by a non-working one,
the earliest *working* instant is 00:00 of the next working day: both instants are the same
amount of working time after receipt.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from domain.errors import InvalidInput

RULE_VERSION = "art-4.2/v1"

_OVERSEAS_TIME_ZONES = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}
_OVERSEAS_SUBDIVISIONS = {
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "976": "976",
    "975": "PM",
    "977": "BL",
    "978": "MF",
    "986": "WF",
    "987": "PF",
    "988": "NC",
}
_METROPOLITAN = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"}
# The holidays package translates holiday names from the server's LANG / LANGUAGE: the table is
# read with its names pinned to one language, and Whit Monday is then a date, whatever the server.
HOLIDAY_NAMES = "en_US"
WHIT_MONDAY = "Pentecost Monday"


def validate_department(code: str) -> str:
    if code not in _METROPOLITAN and code not in _OVERSEAS_TIME_ZONES:
        raise InvalidInput("department must be an INSEE department code", field="department")
    return code


def time_zone_of(department: str) -> ZoneInfo:
    return ZoneInfo(_OVERSEAS_TIME_ZONES.get(department, "Europe/Paris"))


def subdivision_of(department: str) -> str | None:
    if department == "57":
        return "57"
    if department in ("67", "68"):
        return "6AE"
    return _OVERSEAS_SUBDIVISIONS.get(department)


@lru_cache(maxsize=512)
def _public_holidays(
    subdivision: str | None, year: int, whit_monday_worked: bool
) -> frozenset[date]:
    found = holidays.country_holidays("FR", subdiv=subdivision, years=year, language=HOLIDAY_NAMES)
    # A day with two holidays carries both names ("Abolition of Slavery; Pentecost Monday" in
    # French Guiana in 2019 and 2030): a worked Whit Monday that is also another holiday is off.
    whit_monday = {d for d, name in found.items() if WHIT_MONDAY in name.split("; ")}
    if len(whit_monday) != 1:
        raise LookupError(f"no single {WHIT_MONDAY} in the {year} holiday table")
    worked = {d for d in whit_monday if found[d] == WHIT_MONDAY} if whit_monday_worked else set()
    return frozenset(d for d in found if d not in worked)


# A local day's start (UTC) and whether it is worked, per (department, Whit Monday worked):
# what every walk over days asks, computed once per calendar and day (a view replays millions
# of events over a few thousand days; a day's length varies with daylight saving, so its start
# is not arithmetic). Bounded: cleared past DAYS_KEPT days.
_DAYS: dict[tuple[str, bool], dict[date, tuple[datetime, bool]]] = {}
DAYS_KEPT = 200_000


def _day(calendar: BusinessCalendar, day: date) -> tuple[datetime, bool]:
    known = calendar._days.get(day)
    if known is not None:
        return known
    start = datetime.combine(day, time(0), tzinfo=calendar.tz).astimezone(UTC)
    worked = day.isoweekday() <= 5 and day not in _public_holidays(
        subdivision_of(calendar.department), day.year, calendar.whit_monday_worked
    )
    if len(calendar._days) >= DAYS_KEPT:
        calendar._days.clear()
    calendar._days[day] = (start, worked)
    return start, worked


@dataclass(frozen=True)
class BusinessCalendar:
    department: str
    whit_monday_worked: bool = False
    tz: ZoneInfo = field(init=False, compare=False)
    _days: dict[date, tuple[datetime, bool]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        validate_department(self.department)
        object.__setattr__(self, "tz", time_zone_of(self.department))
        days = _DAYS.setdefault((self.department, self.whit_monday_worked), {})
        object.__setattr__(self, "_days", days)

    def is_working_day(self, day: date) -> bool:
        return _day(self, day)[1]

    def is_working_instant(self, instant: datetime) -> bool:
        return self.is_working_day(instant.astimezone(self.tz).date())

    def _day_start(self, day: date) -> datetime:
        return _day(self, day)[0]

    def _next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def deadline(self, received_at: datetime, working_hours: float) -> datetime:
        """The earliest working instant at which ``working_hours`` of working time have run."""
        line = _timeline(self)
        if line.covers(received_at):
            target = line.work_at(received_at) + _hours_us(working_hours)
            found = line.instant_at(target, latest=False)
            assert found is not None
            return found
        return self._walk_deadline(received_at, working_hours)

    def _walk_deadline(self, received_at: datetime, working_hours: float) -> datetime:
        remaining = timedelta(hours=working_hours)
        local_day = received_at.astimezone(self.tz).date()
        cursor = received_at.astimezone(UTC)
        if not self.is_working_day(local_day):
            local_day = self._next_working_day(local_day)
            cursor = self._day_start(local_day)
        while True:
            day_end = self._day_start(local_day + timedelta(days=1))
            available = day_end - cursor
            if remaining < available:
                return cursor + remaining
            remaining -= available
            local_day = self._next_working_day(local_day)
            cursor = self._day_start(local_day)

    def _previous_working_day(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def rewind(self, end: datetime, working_hours: float) -> datetime:
        """The latest instant from which ``working_hours`` of working time remain until ``end``."""
        line = _timeline(self)
        if line.covers(end):
            target = line.work_at(end) - _hours_us(working_hours)
            found = line.instant_at(target, latest=True, until=end) if target >= 0 else None
            if found is not None:
                return found
        return self._walk_rewind(end, working_hours)

    def _walk_rewind(self, end: datetime, working_hours: float) -> datetime:
        remaining = timedelta(hours=working_hours)
        local_day = end.astimezone(self.tz).date()
        cursor = end.astimezone(UTC)
        if not self.is_working_day(local_day):
            local_day = self._previous_working_day(local_day)
            cursor = self._day_start(local_day + timedelta(days=1))
        while True:
            available = cursor - self._day_start(local_day)
            if remaining <= available:
                return cursor - remaining
            remaining -= available
            local_day = self._previous_working_day(local_day)
            cursor = self._day_start(local_day + timedelta(days=1))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from ``start`` to ``end`` (zero when end is before start)."""
        if end <= start:
            return timedelta(0)
        line = _timeline(self)
        if line.covers(start):
            return timedelta(microseconds=line.work_at(end) - line.work_at(start))
        return self._walk_between(start, end)

    def _walk_between(self, start: datetime, end: datetime) -> timedelta:
        """The same, day by day (instants before the timeline's first day)."""
        total = timedelta(0)
        cursor = start.astimezone(UTC)
        end_utc = end.astimezone(UTC)
        local_day = cursor.astimezone(self.tz).date()
        while cursor < end_utc:
            day_end = self._day_start(local_day + timedelta(days=1))
            if self.is_working_day(local_day):
                total += min(day_end, end_utc) - cursor
            cursor = day_end
            local_day += timedelta(days=1)
        return total


_US = timedelta(microseconds=1)


@lru_cache(maxsize=64)
def _hours_us(hours: float) -> int:
    return timedelta(hours=hours) // _US


class _Timeline:
    """Working time as a running total: for each local day from ``FIRST_DAY``, its start (UTC),
    whether it is worked and the working microseconds before it. Elapsed working time is then a
    difference of two totals, and a deadline a binary search, whatever the span (prefix sums;
    the day walks they replace stay as ``BusinessCalendar._walk_*`` and as the tests' oracle)."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.first = FIRST_DAY.toordinal()
        self.starts: list[datetime] = [calendar._day_start(FIRST_DAY)]
        self.worked: list[bool] = []
        self.before: list[int] = [0]  # working microseconds before day i (one more than days)
        self.lock = threading.Lock()

    def covers(self, instant: datetime) -> bool:
        return instant >= self.starts[0]

    def _extend(self, index: int) -> None:
        """Days up to ``index`` known (and the start of the day after it); appended under a
        lock, ``before`` last, so a reader never sees a day half added."""
        if len(self.worked) > index:
            return
        with self.lock:
            self._append(index)

    def _append(self, index: int) -> None:
        calendar = self.calendar
        while len(self.worked) <= index:
            day = date.fromordinal(self.first + len(self.worked))
            start, worked = _day(calendar, day)
            following = _day(calendar, day + timedelta(days=1))[0]
            self.worked.append(worked)
            self.starts.append(following)
            length = (following - start) // _US if worked else 0
            self.before.append(self.before[-1] + length)

    def _index(self, instant: datetime) -> int:
        index = instant.astimezone(self.calendar.tz).date().toordinal() - self.first
        self._extend(index)
        return index

    def work_at(self, instant: datetime) -> int:
        """Working microseconds from the first day to ``instant``."""
        index = self._index(instant)
        if not self.worked[index]:
            return self.before[index]
        return self.before[index] + (instant - self.starts[index]) // _US

    def instant_at(
        self, target: int, *, latest: bool, until: datetime | None = None
    ) -> datetime | None:
        """The instant at which ``target`` working microseconds have run, on a worked day: the
        earliest (a deadline: on a day's boundary, the next worked day's start) or the latest
        up to ``until`` (a rewind: on a boundary, the later worked day's start)."""
        if latest:
            assert until is not None
            bound = self._index(until) + 1
            index = bisect_right(self.before, target, 0, bound) - 1
            while index >= 0 and not self.worked[index]:  # on a day off: the last worked day's end
                index -= 1
            if index < 0:
                return None
        else:
            while self.before[-1] <= target:
                self._extend(len(self.worked) + 366)
            index = bisect_right(self.before, target) - 1
        return self.starts[index] + (target - self.before[index]) * _US


FIRST_DAY = date(2020, 1, 1)  # instants before it are walked day by day
_TIMELINES: dict[tuple[str, bool], _Timeline] = {}


def _timeline(calendar: BusinessCalendar) -> _Timeline:
    key = (calendar.department, calendar.whit_monday_worked)
    found = _TIMELINES.get(key)
    if found is None:
        found = _TIMELINES[key] = _Timeline(calendar)
    return found


def preload(year: int) -> None:
    """Loads the public holidays of metropolitan France for ``year`` and the next one. The
    ``holidays`` package imports its country tables on first use (about 0.4 s here): a server
    calls this at startup so that no request pays it."""
    for day in (date(year, 1, 1), date(year + 1, 1, 1)):
        BusinessCalendar("75").is_working_day(day)


def quarter_of(instant: datetime, tz: ZoneInfo) -> str:
    """The civil quarter of an instant in a structure's time zone: ``2026-Q2``."""
    local = instant.astimezone(tz)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of a civil quarter (``2026-Q2``) in a time zone, as UTC instants."""
    year, number = int(quarter[:4]), int(quarter[-1])
    start = datetime(year, 3 * number - 2, 1, tzinfo=tz)
    end = datetime(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
