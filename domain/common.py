"""Value types shared by the aggregates: actors, enumerations, time checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoding

from domain.errors import InvalidInput


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a token name (never a citizen) and its role."""

    name: str
    role: str

    def __post_init__(self) -> None:
        if not self.name or not self.role:
            raise InvalidInput("actor name and role are required", field="actor")


SYSTEM = Actor(name="ledger-scheduler", role="system")


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return {"name": obj.name, "role": obj.role}

    def decode(self, data: dict[str, str]) -> Actor:
        return Actor(**data)


class Channel(StrEnum):
    COUNTER = "counter"
    PHONE = "phone"
    EMAIL = "email"
    CONTACT_FORM = "contact_form"
    VIDEO = "video"
    MAIL = "mail"

    @property
    def has_response_deadline(self) -> bool:
        """Art. 4.2: the 72 working hours rule covers e-mail and contact form."""
        return self in (Channel.EMAIL, Channel.CONTACT_FORM)


class Partner(StrEnum):
    FRANCE_TRAVAIL = "france_travail"
    CAF = "caf"
    CPAM = "cpam"
    CARSAT = "carsat"
    MSA = "msa"
    LA_POSTE = "la_poste"
    DGFIP = "dgfip"
    INTERIEUR = "interieur"
    JUSTICE = "justice"


class Mission(StrEnum):
    INFORMATION = "information"
    DIGITAL_HELP = "digital_help"
    ADMINISTRATIVE_HELP = "administrative_help"
    PARTNER_CONTACT = "partner_contact"
    SITUATION_REPORT = "situation_report"


class ScopeKind(StrEnum):
    ACT_ON_BEHALF = "act_on_behalf"
    DATA_COMMUNICATION = "data_communication"


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(f"{field} must be one of: {allowed}", field=field) from None


def require_aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} must carry a time-zone offset", field=field)
    return value


def require_not_after(value: datetime, now: datetime, field: str) -> datetime:
    require_aware(value, field)
    if value > now:
        raise InvalidInput(f"{field} cannot be in the future", field=field)
    return value


_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def require_code(value: str, field: str) -> str:
    """A short code (``rsa``, ``caf_online_return``): never free text that could name a person."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise InvalidInput(f"{field} is a code: lowercase letters, digits, _ . -", field=field)
    return value


def require_text(value: str, field: str, max_length: int = 2000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return value


class LedgerAggregate(Aggregate):
    """Base of our aggregates: every event carries the actor; ``timestamp`` is the injected now."""

    class Event(Aggregate.Event):
        actor: Actor

    class Created(Aggregate.Created):
        actor: Actor


class SealedEvent:
    """Mixin for events with personal fields, sealed under the key of ``envelope_id``.

    The mapper encrypts each field named in ``personal_fields``; when the envelope's key is gone
    the mapper yields the event with those fields set to ``None``.
    """

    personal_fields: ClassVar[tuple[str, ...]] = ()
    envelope_id: UUID
