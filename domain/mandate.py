"""A mandate (Art. 4.6): the user's signed, scoped and revocable authority to act in their name."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate, SealedEvent
from domain.errors import (
    InvalidInput,
    MandateExpired,
    MandateOutOfScope,
    MandatePreconditionMissing,
    MandateRevoked,
    PersonalDataDestroyedError,
    every_problem,
    refuse_all,
)
from domain.personal_data import (
    DestructionReason,
    destruction_instant,
    require_fitting,
    validate_person,
)
from domain.policy import Policy
from domain.retention import add_months, mandate_data_due_at
from domain.validation import require_aware, require_not_after, require_text
from domain.vocabulary import ScopeKind

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class MandateStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class RevocationChannel(StrEnum):
    COUNTER = "counter"
    PHONE = "phone"
    EMAIL = "email"
    MAIL = "mail"


def _missing(field: str, what: str) -> MandatePreconditionMissing:
    return MandatePreconditionMissing(f"mandate precondition missing: {what}", field=field)


def _check_notice(version: str) -> None:
    if not isinstance(version, str) or not version.strip():
        raise _missing("information_notice.version", "the information notice given to the user")


def _check_originals(originals: int, policy: Policy) -> None:
    if not isinstance(originals, int) or originals < policy.mandate_required_originals:
        raise _missing("originals", "one original for each party")


def _check_document(sha256: str) -> None:
    if not isinstance(sha256, str) or not sha256:
        raise _missing("signed_document_sha256", "the SHA-256 of the signed document")
    if not _SHA256.match(sha256):
        raise InvalidInput(
            "signed_document_sha256 is 64 hexadecimal digits", field="signed_document_sha256"
        )


def _check_on_site(signed_on_site: bool) -> None:
    if signed_on_site is not True:
        raise _missing("signed_on_site", "signature on site by mandant and mandatary")


def validate_scopes(scopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not scopes:
        raise _missing("scopes", "at least one partner scope")
    cleaned: list[dict[str, Any]] = []
    for i, scope in enumerate(scopes):
        partner, kinds = scope.get("partner"), scope.get("kinds")
        if not isinstance(partner, str) or not partner:
            raise _missing(f"scopes[{i}].partner", "the partner the scope covers")
        if not isinstance(kinds, list) or not kinds:
            raise _missing(f"scopes[{i}].kinds", "the kinds of action the scope covers")
        for kind in kinds:
            if kind not in ScopeKind.__members__.values():
                raise InvalidInput(
                    "kinds are act_on_behalf or data_communication", field=f"scopes[{i}].kinds"
                )
        cleaned.append({"partner": partner, "kinds": sorted(set(kinds))})
    return cleaned


class Mandate(LedgerAggregate):
    def __init__(
        self,
        structure_id: UUID,
        envelope_id: UUID,
        mandatary: str,
        scopes: list[dict[str, Any]],
        valid_until: datetime,
        data_due_at: datetime,
    ) -> None:
        self.structure_id = structure_id
        self.envelope_id = envelope_id
        self.mandatary = mandatary
        self.scopes = scopes
        self.valid_until = valid_until
        self.data_due_at = data_due_at
        self.mandant: dict[str, str] | None = None
        self.revoked_at: datetime | None = None
        self.expired_at: datetime | None = None
        self.destroyed_at: datetime | None = None
        self.uses: list[dict[str, Any]] = []

    class Signed(LedgerAggregate.Created, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("mandant",)
        structure_id: UUID
        envelope_id: UUID
        mandant: dict[str, str] | None
        mandatary: str
        identity_verification: dict[str, Any]
        information_notice_version: str
        scopes: list[dict[str, Any]]
        valid_until: datetime
        originals: int
        signed_document_sha256: str
        signed_on_site: bool
        data_due_at: datetime

        def apply(self, aggregate: Any) -> None:
            cast(Mandate, aggregate).mandant = self.mandant

    class Revoked(LedgerAggregate.Event, SealedEvent):
        personal_fields: ClassVar[tuple[str, ...]] = ("requested_by", "reason")
        envelope_id: UUID
        requested_by: str | None
        channel: str
        reason: str | None
        at: datetime
        data_due_at: datetime

        def apply(self, aggregate: Any) -> None:
            mandate = cast(Mandate, aggregate)
            mandate.revoked_at = self.at
            mandate.data_due_at = self.data_due_at

    class Expired(LedgerAggregate.Event):
        at: datetime

        def apply(self, aggregate: Any) -> None:
            cast(Mandate, aggregate).expired_at = self.at

    class Used(LedgerAggregate.Event):
        request_id: UUID
        partner: str
        scope: str
        at: datetime

        def apply(self, aggregate: Any) -> None:
            cast(Mandate, aggregate).uses.append(
                {
                    "request_id": self.request_id,
                    "partner": self.partner,
                    "scope": self.scope,
                    "at": self.at,
                }
            )

    class PersonalDataDestroyed(LedgerAggregate.Event):
        envelope_id: UUID
        reason: str
        at: datetime

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 recorded the destruction at the event's own time."""
            state["at"] = state["timestamp"]

        def apply(self, aggregate: Any) -> None:
            mandate = cast(Mandate, aggregate)
            mandate.destroyed_at = self.at
            mandate.mandant = None

    @classmethod
    def sign(
        cls,
        *,
        structure_id: UUID,
        mandant: dict[str, Any],
        identity_verification: dict[str, Any],
        information_notice_version: str,
        scopes: list[dict[str, Any]],
        valid_until: datetime,
        originals: int,
        signed_document_sha256: str,
        signed_on_site: bool,
        policy: Policy,
        actor: Actor,
        now: datetime,
    ) -> Mandate:
        """Refuses with every missing or malformed precondition of Art. 4.6 at once (the first
        as the error, all of them in its ``errors``)."""
        checked: dict[str, Any] = {}

        def check_valid_until() -> None:
            end = require_aware(valid_until, "valid_until")
            if end <= now:
                raise _missing("valid_until", "a validity end in the future")
            if end > add_months(now, policy.mandate_max_months):
                raise MandatePreconditionMissing(
                    f"a mandate lasts at most {policy.mandate_max_months} months",
                    field="valid_until",
                )
            checked["valid_until"] = end

        refuse_all(
            every_problem(
                [
                    lambda: checked.update(
                        verification=cls._check_identity(identity_verification, policy, now)
                    ),
                    lambda: _check_notice(information_notice_version),
                    lambda: checked.update(scopes=validate_scopes(scopes)),
                    check_valid_until,
                    lambda: _check_originals(originals, policy),
                    lambda: _check_document(signed_document_sha256),
                    lambda: _check_on_site(signed_on_site),
                    lambda: validate_person(mandant, "mandant"),
                ]
            )
        )
        verification, cleaned_scopes = checked["verification"], checked["scopes"]
        valid_until = checked["valid_until"]
        return cls._create(
            cls.Signed,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            structure_id=structure_id,
            envelope_id=uuid4(),
            mandant=validate_person(mandant, "mandant"),
            mandatary=actor.name,
            identity_verification=verification,
            information_notice_version=information_notice_version,
            scopes=cleaned_scopes,
            valid_until=valid_until,
            originals=originals,
            signed_document_sha256=signed_document_sha256,
            signed_on_site=True,
            data_due_at=mandate_data_due_at(policy, valid_until),
        )

    @staticmethod
    def _check_identity(
        verification: dict[str, Any], policy: Policy, now: datetime
    ) -> dict[str, Any]:
        document_type = (
            verification.get("document_type") if isinstance(verification, dict) else None
        )
        if not isinstance(document_type, str) or not document_type.strip():
            raise _missing("identity_verification.document_type", "the identity document checked")
        verified_at = verification.get("verified_at")
        if not isinstance(verified_at, datetime):
            raise _missing("identity_verification.verified_at", "when the identity was verified")
        verified = require_not_after(verified_at, now, "identity_verification.verified_at")
        if verified < now - policy.identity_verification_max_age:
            raise _missing(
                "identity_verification.verified_at", "the identity checked when signing, on site"
            )
        return {"document_type": document_type, "verified_at": verified}

    @property
    def signed_at(self) -> datetime:
        return self.created_on

    def status(self, now: datetime) -> MandateStatus:
        if self.revoked_at is not None:
            return MandateStatus.REVOKED
        if self.expired_at is not None or now >= self.valid_until:
            return MandateStatus.EXPIRED
        return MandateStatus.ACTIVE

    def covers(self, partner: str, scope: ScopeKind) -> bool:
        return any(s["partner"] == partner and scope.value in s["kinds"] for s in self.scopes)

    def check_can_act(self, partner: str, scope: ScopeKind, now: datetime) -> None:
        status = self.status(now)
        if status == MandateStatus.REVOKED:
            raise MandateRevoked("the mandate was revoked")
        if status == MandateStatus.EXPIRED:
            raise MandateExpired("the mandate has expired")
        if not self.covers(partner, scope):
            raise MandateOutOfScope("the mandate does not cover this partner and scope")

    def revoke(
        self,
        *,
        requested_by: str,
        channel: RevocationChannel,
        reason: str,
        at: datetime,
        policy: Policy,
        actor: Actor,
        now: datetime,
    ) -> bool:
        """Effective at once; revoking a revoked mandate changes nothing and returns ``False``."""
        if self.revoked_at is not None:
            return False
        if self.destroyed_at is not None:
            raise PersonalDataDestroyedError("the personal data of this mandate were destroyed")
        at = require_not_after(at, now, "at")
        if at < self.signed_at:
            raise InvalidInput("a revocation cannot precede the signature", field="at")
        ended_at = min(at, self.valid_until)
        self.trigger_event(
            self.Revoked,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            requested_by=require_text(requested_by, "requested_by", 200),
            channel=channel.value,
            reason=require_text(reason, "reason", 500),
            at=at,
            data_due_at=mandate_data_due_at(policy, ended_at),
        )
        return True

    def expire(self, *, actor: Actor, now: datetime) -> bool:
        if self.status(now) != MandateStatus.EXPIRED or self.expired_at is not None:
            return False
        self.trigger_event(self.Expired, timestamp=now, actor=actor, at=self.valid_until)
        return True

    def record_use(
        self,
        request_id: UUID,
        partner: str,
        scope: ScopeKind,
        at: datetime,
        *,
        actor: Actor,
        now: datetime,
    ) -> None:
        self.check_can_act(partner, scope, at)
        self.check_can_act(partner, scope, now)
        self.trigger_event(
            self.Used,
            timestamp=now,
            actor=actor,
            request_id=request_id,
            partner=partner,
            scope=scope.value,
            at=at,
        )

    def destroy_personal_data(
        self,
        reason: DestructionReason,
        *,
        actor: Actor,
        now: datetime,
        at: datetime | None = None,
    ) -> bool:
        """Records the destruction (at ``at``, default now); ``False`` when already destroyed.
        ``retention_expired`` fits a mandate that ended; a person may ask at any time."""
        if self.destroyed_at is not None:
            return False
        status = self.status(now)
        fitting = {DestructionReason.RETENTION_EXPIRED} if status != MandateStatus.ACTIVE else set()
        require_fitting(reason, fitting, f"a mandate {status}")
        self.trigger_event(
            self.PersonalDataDestroyed,
            timestamp=now,
            actor=actor,
            envelope_id=self.envelope_id,
            reason=reason.value,
            at=destruction_instant(at, self.modified_on, now),
        )
        return True
