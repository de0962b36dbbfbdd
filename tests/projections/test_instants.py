"""Instants in views are fixed-width UTC text that sorts like the instants and reads back."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from projections.db import ISO_FORMAT, from_iso, iso

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)


@given(instants)
def test_an_instant_is_written_in_the_fixed_utc_format_and_read_back(instant: datetime) -> None:
    text = iso(instant)
    assert text == instant.astimezone(UTC).strftime(ISO_FORMAT)
    assert from_iso(text) == instant
    assert from_iso(text).utcoffset() == timedelta(0)  # type: ignore[union-attr]


@given(instants, instants)
def test_the_text_sorts_like_the_instants(a: datetime, b: datetime) -> None:
    assert (iso(a) < iso(b)) == (a < b)  # type: ignore[operator]


def test_none_stays_none() -> None:
    assert iso(None) is None
    assert from_iso(None) is None
