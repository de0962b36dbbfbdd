"""Partner referents (Art. 5.2.1): each partner names one or more referents per structure,
reachable by direct phone and e-mail, for the hardest cases. Their details are personal data of
partner staff: sealed, shown to the structure's advisers and supervisors only, never to users,
and destroyed when the referent leaves."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate, SealedEvent
from domain.errors import InvalidInput, RuleViolation, every_problem, refuse_all
from domain.personal_data import DestructionReason
from domain.validation import require_text

CONTACT_FIELDS = ("first_name", "last_name", "phone", "email")


def validate_contact(contact: Any) -> dict[str, str]:
    """Names, a direct phone and an e-mail (Art. 5.2.1); an optional ``title``; every problem
    named at once."""
    if not isinstance(contact, dict):
        raise InvalidInput("contact is an object", field="contact")
    unknown = sorted(set(contact) - {*CONTACT_FIELDS, "title"})
    checks: list[Any] = [
        *(_refuse(f"contact.{name}", "not a field of a referent's contact") for name in unknown),
        *(_text(contact, name, 200) for name in CONTACT_FIELDS),
    ]
    if contact.get("title") is not None:
        checks.append(_text(contact, "title", 200))
    checks.append(_email(contact.get("email")))
    refuse_all(every_problem(checks))
    return {name: contact[name] for name in (*CONTACT_FIELDS, "title") if contact.get(name)}


def _refuse(field: str, detail: str) -> Any:
    def check() -> None:
        raise InvalidInput(detail, field=field)

    return check


def _text(contact: dict[str, Any], name: str, limit: int) -> Any:
    return lambda: require_text(contact.get(name, ""), f"contact.{name}", limit)


def _email(value: object) -> Any:
    def check() -> None:
        if isinstance(value, str) and value.strip() and "@" not in value:
            raise InvalidInput("an e-mail address has an @", field="contact.email")

    return check


class Referent(LedgerAggregate):
    def __init__(self, structure_id: UUID, partner: str, envelope_id: UUID) -> None:
        self.structure_id = structure_id
        self.partner = partner
        self.envelope_id = envelope_id
        self.contact: dict[str, str] | None = None
        self.left_at: datetime | None = None
        self.destroyed_at: datetime | None = None

    class Named(LedgerAggregate.Created, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("contact",)
        structure_id: UUID
        partner: str
        envelope_id: UUID
        contact: dict[str, str] | None

        def apply(self, aggregate: Any) -> None:
            cast(Referent, aggregate).contact = self.contact

    class ContactChanged(LedgerAggregate.Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("contact",)
        envelope_id: UUID
        contact: dict[str, str] | None

        def apply(self, aggregate: Any) -> None:
            cast(Referent, aggregate).contact = self.contact

    class Left(LedgerAggregate.Event):
        """The referent no longer serves the structure: their details are destroyed at once
        (``PersonalDataDestroyed`` in the same append)."""

        at: datetime

        def apply(self, aggregate: Any) -> None:
            cast(Referent, aggregate).left_at = self.at

    class PersonalDataDestroyed(LedgerAggregate.Event):
        envelope_id: UUID
        reason: str
        at: datetime

        def apply(self, aggregate: Any) -> None:
            referent = cast(Referent, aggregate)
            referent.destroyed_at = self.at
            referent.contact = None

    @classmethod
    def appoint(
        cls,
        *,
        structure_id: UUID,
        partner: str,
        contact: dict[str, Any],
        actor: Actor,
        now: datetime,
    ) -> Referent:
        return cls._create(
            cls.Named,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            structure_id=structure_id,
            partner=partner,
            envelope_id=uuid4(),
            contact=validate_contact(contact),
        )

    @property
    def active(self) -> bool:
        """Serving, with details to give: not left, not destroyed (at their own request)."""
        return self.left_at is None and self.destroyed_at is None

    def _check_active(self) -> None:
        if not self.active:
            raise RuleViolation("this referent left", code="referent_left")

    def change_contact(self, contact: dict[str, Any], *, actor: Actor, now: datetime) -> None:
        self._check_active()
        self.trigger_event(
            self.ContactChanged,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            contact=validate_contact(contact),
        )

    def leave(self, *, actor: Actor, now: datetime) -> None:
        """Recorded with the destruction of the details, in one append (the caller saves both
        with the envelope's key deleted)."""
        if self.left_at is not None:
            raise RuleViolation("this referent left", code="referent_left")
        self.trigger_event(self.Left, timestamp=now, actor=actor, at=now)
        self.destroy_personal_data(DestructionReason.RETENTION_EXPIRED, actor=actor, now=now)

    def destroy_personal_data(
        self,
        reason: DestructionReason,
        *,
        actor: Actor,
        now: datetime,
        at: datetime | None = None,
    ) -> bool:
        """Any reason fits: a referent's details serve while they serve."""
        if self.destroyed_at is not None:
            return False
        self.trigger_event(
            self.PersonalDataDestroyed,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            reason=reason.value,
            at=at or now,
        )
        return True
