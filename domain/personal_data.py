"""The personal data of one person, as an envelope holds them, and why an envelope is destroyed."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import DestructionReasonMismatch, InvalidInput
from domain.validation import require_not_after, require_text

REQUIRED = ("first_name", "last_name")
MAX_FIELDS = 20
MAX_VALUE_LENGTH = 500


class DestructionReason(StrEnum):
    """Why an envelope is destroyed (Art. 4.6): its procedure ended, its case was left inactive
    too long, a mandate's proof period ended, or the person asked (GDPR 17)."""

    PROCEDURE_RESOLVED = "procedure_resolved"
    INACTIVE = "inactive"
    RETENTION_EXPIRED = "retention_expired"
    DATA_SUBJECT_REQUEST = "data_subject_request"


def require_fitting(reason: DestructionReason, fitting: set[DestructionReason], what: str) -> None:
    """A destruction's reason must fit its owner's state (``what`` names that state); a person's
    own request (GDPR 17) always fits."""
    if reason != DestructionReason.DATA_SUBJECT_REQUEST and reason not in fitting:
        raise DestructionReasonMismatch(f"{reason} does not fit {what}", field="reason")


def destruction_instant(at: datetime | None, last_event_at: datetime, now: datetime) -> datetime:
    """When a destruction is recorded as done: the instant given (not in the future, not before
    the owner's last event), else now."""
    instant = require_not_after(at or now, now, "at")
    if instant < last_event_at:
        raise InvalidInput("at cannot precede the last event of the case", field="at")
    return instant


def validate_person(data: dict[str, Any], field: str) -> dict[str, str]:
    """Names required; at most 20 fields, each a string of at most 500 characters."""
    if not isinstance(data, dict) or len(data) > MAX_FIELDS:
        raise InvalidInput(f"{field} must be an object of at most {MAX_FIELDS} fields", field=field)
    for name in REQUIRED:
        require_text(data.get(name, ""), f"{field}.{name}", 200)
    for key, value in data.items():
        if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
            raise InvalidInput(
                f"personal fields are strings of at most {MAX_VALUE_LENGTH} characters",
                field=f"{field}.{key}",
            )
    return dict(data)


def normalized_identity(person: dict[str, str]) -> str:
    """Names and birth date, accents and case folded: the same person typed twice matches."""

    def fold(value: str) -> str:
        decomposed = unicodedata.normalize("NFKD", value)
        letters = "".join(c for c in decomposed if not unicodedata.combining(c))
        return " ".join(re.sub(r"[-'\u2019.]", " ", letters).casefold().split())

    parts = (
        person.get("last_name", ""),
        person.get("first_name", ""),
        person.get("birth_date", ""),
    )
    return "|".join(fold(part) for part in parts)
