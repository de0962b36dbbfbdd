"""Events as their stored values: what the views that build rows from many events read.

Decoding an event builds a UUID, a datetime and a dataclass for values most views only copy
into their rows as text (the ids' hex, the instants' ISO 8601). The views that read most of the
log (``sla``, ``audit_trail``, ``quarterly``, ``retention``) set ``parses = True``: the runner
hands them each event's stored JSON, parsed by orjson, upcast to its class's current version by
the class's own ``upcast_vN_vN+1`` (they all set a default or copy a stored value, so they work
on stored values as on decoded ones), with ``originator_id`` (its hex) and ``originator_version``
added as the library adds them. A sealed field stays a ``{"__sealed__": ...}`` mapping: a view
never reads one (``tests/projections/test_stored_values.py`` checks every field these views
read, on every stored event type, gives what the decoded event gives).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from projections.db import iso

State = dict[str, Any]


@lru_cache(maxsize=256)
def _class_version(topic: str) -> tuple[type, int]:
    cls = resolve_topic(topic)
    return cls, int(getattr(cls, "class_version", 1))


def parse(notification: Notification) -> State:
    """The stored state of one event, upcast, with its aggregate's id (hex) and version."""
    state: State = orjson.loads(notification.state)
    cls, version = _class_version(notification.topic)
    found = state.pop("class_version", 1)
    while found < version:
        getattr(cls, f"upcast_v{found}_v{found + 1}")(state)
        found += 1
    originator = notification.originator_id
    if not isinstance(originator, UUID):
        originator = UUID(originator)
    state["originator_id"] = originator.hex
    state["originator_version"] = notification.originator_version
    return state


def uuid_hex(stored: Any) -> str | None:
    """A stored UUID (``{"_type_": "uuid_hex", "_data_": hex}``) as the hex the rows hold."""
    return None if stored is None else str(stored["_data_"])


def instant(stored: Any) -> datetime | None:
    """A stored instant (``datetime_iso``) as the datetime the decoded event holds."""
    return None if stored is None else datetime.fromisoformat(stored["_data_"])


def instant_text(stored: Any) -> str | None:
    """A stored instant as ``iso`` writes it, without a datetime where the text allows: the
    library writes a UTC instant as ``isoformat`` does (no fraction when it is zero)."""
    if stored is None:
        return None
    text: str = stored["_data_"]
    if text.endswith("+00:00"):
        if len(text) == 32:
            return text[:26] + "Z"
        if len(text) == 25:
            return text[:19] + ".000000Z"
    return iso(datetime.fromisoformat(text))
