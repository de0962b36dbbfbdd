"""One way to write an instant in every answer: UTC with ``Z``, to the second unless the value
is more precise (``2026-11-23T09:00:00Z``, ``2026-11-23T09:00:00.250000Z``). Values come in
several shapes (stored with their offset, view text with microseconds): they are rewritten here,
once, as answers leave the API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse

_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


def instant_text(instant: datetime) -> str:
    moment = instant.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def canonical(value: Any) -> Any:
    """``value`` with every instant (a datetime, or ISO text with an offset) in the one form."""
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, str) and _INSTANT.match(value):
        return instant_text(datetime.fromisoformat(value))
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    return value


class InstantJSONResponse(JSONResponse):
    """The API's JSON answers, their instants written the one way."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            canonical(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
