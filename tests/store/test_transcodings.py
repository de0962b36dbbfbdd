"""The faster reader of the stored JSON reads exactly what the library's reader reads."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.open import transcoder
from store.transcodings import uuid_of_hex

FIXTURES = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "stored_events.json").read_text()
)


@pytest.mark.parametrize("stored", FIXTURES, ids=lambda f: f["topic"].split(":")[1])
def test_every_stored_event_reads_the_same_with_the_fast_and_the_library_transcoder(
    stored: dict[str, str],
) -> None:
    state = stored["state"].encode()
    fast, library = transcoder().decode(state), transcoder(library=True).decode(state)
    assert fast == library
    assert [type(v) for v in fast.values()] == [type(v) for v in library.values()]


def test_the_fast_transcoder_writes_the_library_s_bytes() -> None:
    sample = json.loads(FIXTURES[0]["state"])
    decoded = transcoder(library=True).decode(json.dumps(sample).encode())
    assert transcoder().encode(decoded) == transcoder(library=True).encode(decoded)


@given(st.uuids())
def test_a_uuid_built_from_its_hex_equals_the_library_s(value: UUID) -> None:
    built = uuid_of_hex(value.hex)
    assert built == value
    assert hash(built) == hash(value)
    assert (built.hex, str(built), built.version) == (value.hex, str(value), value.version)


def test_a_uuid_not_in_hex_form_is_still_read_or_refused_as_the_library_does() -> None:
    value = uuid4()
    assert uuid_of_hex(str(value)) == value
    with pytest.raises(ValueError, match="badly formed"):
        uuid_of_hex("not-a-uuid")
