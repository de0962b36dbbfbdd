"""The views that build rows from stored values (``parses``) read, for every stored event type,
older versions included, what the decoded event holds: the upcasts run on the stored state, the
instants and ids read as the decoded event's, and no field those views read is sealed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import resolve_topic
from hypothesis import given
from hypothesis import strategies as st

from projections import ALL
from projections.db import iso
from projections.stored import instant, instant_text, parse, uuid_hex
from store.open import transcoder
from store.sealing import SealingMapper
from tests.projections.test_audit_rows import FIXTURES, notification_of

PARSING = [p for p in ALL if p.parses]


@pytest.mark.parametrize("stored", FIXTURES, ids=lambda f: f["topic"].split(":")[1])
def test_a_parsed_stored_state_reads_as_its_decoded_event(stored: dict[str, Any]) -> None:
    notification = notification_of(stored)
    event = SealingMapper(transcoder(), keys=None).to_domain_event(notification)
    state = parse(notification)
    decoded = vars(event)
    assert set(state) == set(decoded)  # the upcasts ran: same fields, none left over
    assert state["originator_id"] == event.originator_id.hex
    assert state["originator_version"] == event.originator_version
    sealed = set(getattr(type(event), "personal_fields", ()))
    for name, value in decoded.items():
        found = state[name]
        if name in ("originator_id", "originator_version"):
            continue
        if name in sealed and isinstance(found, dict) and set(found) == {"__sealed__"}:
            assert value is None  # decoded without a key; its stored value stays sealed
        elif isinstance(value, datetime):
            assert instant(found) == value
            assert instant_text(found) == iso(value)
        elif isinstance(value, UUID):
            assert uuid_hex(found) == value.hex
        elif value is None or isinstance(value, str | bool | int | float):
            assert found == value


def test_every_event_type_a_parsing_view_handles_has_a_stored_fixture() -> None:
    stored_topics = {f["topic"] for f in FIXTURES}
    assert {p.name for p in PARSING} == {"sla", "audit_trail", "quarterly", "retention"}
    for projection in PARSING:
        assert projection.topics <= stored_topics, projection.name


def test_the_fixtures_hold_events_stored_before_their_upcasts() -> None:
    """Version 1 of each upcast event the parsing views read is among the fixtures (stored
    without ``class_version``), so the test above runs its upcast on stored values."""
    first_versions = {
        f["topic"]
        for f in FIXTURES
        if getattr(resolve_topic(f["topic"]), "class_version", 1) > 1
        and '"class_version"' not in f["state"]
    }
    read = set().union(*(p.topics for p in PARSING if p.topics))
    upcast_read = {t for t in read if getattr(resolve_topic(t), "class_version", 1) > 1}
    assert upcast_read
    assert upcast_read <= first_versions


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 1),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=10))]
        ),
    )
)
def test_a_stored_instant_reads_as_iso_writes_it(moment: datetime) -> None:
    """The library stores an instant as ``isoformat`` gives it: with or without a fraction,
    in UTC or not."""
    stored = {"_type_": "datetime_iso", "_data_": moment.isoformat()}
    assert instant(stored) == moment
    assert instant_text(stored) == iso(moment)
