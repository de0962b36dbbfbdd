"""The Ledger: the service layer. Each command loads, decides in the aggregate, saves once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, RecordConflictError
from eventsourcing.utils import EnvType

from domain.breach import Breach, ExemptionGround, Phase
from domain.calendar import RULE_VERSION
from domain.common import Actor, ActorAsDict, Channel, LedgerAggregate, Mission, ScopeKind, parse_enum
from domain.errors import InvalidInput, MandateRequired, NotFound, VersionConflict
from domain.mandate import Mandate, RevocationChannel
from domain.policy import Policy, RiskLevel, request_data_due_at
from domain.request import DestructionReason, Outcome, Request
from domain.structure import Structure, structure_uuid

A = TypeVar("A", bound=LedgerAggregate)


@runtime_checkable
class EnvelopeKeys(Protocol):
    """What the Ledger needs from the store's key vault (the recorder provides it).

    Destruction itself is atomic with its event: ``save(..., destroy_envelopes=[id])``.
    """

    def create_key(self, envelope_id: UUID, owner_id: UUID) -> None: ...

    def owner_of(self, envelope_id: UUID) -> UUID | None: ...

    def scrub(self) -> None: ...


class Ledger(Application[UUID]):
    name = "Ledger"

    def __init__(self, env: EnvType | None = None, *, policy: Policy | None = None) -> None:
        super().__init__(env)
        self.policy = policy or Policy()
        if not getattr(self.mapper, "seals_personal_data", False):
            raise TypeError("the Ledger needs a mapper that seals personal fields (runtime.store)")
        if not isinstance(self.recorder, EnvelopeKeys):
            raise TypeError("the Ledger needs a recorder with an envelope key vault (runtime.store)")
        self.keys: EnvelopeKeys = self.recorder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())

    # Loading and saving -------------------------------------------------------------------

    def _load(self, cls: type[A], aggregate_id: UUID, expected_version: int | None = None) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no such {cls.__name__.lower()}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no such {cls.__name__.lower()}")
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict("the resource changed since it was read")
        return aggregate

    def _save(self, *aggregates: LedgerAggregate, **kwargs: Any) -> None:
        try:
            self.save(*aggregates, **kwargs)
        except RecordConflictError:
            raise VersionConflict("the resource changed while the command ran") from None

    # Structures ---------------------------------------------------------------------------

    def register_structure(self, *, code: str, name: str, department: str,
                           timetable: list[dict[str, Any]], whit_monday_worked: bool = False,
                           local_partners: list[str] | None = None, actor: Actor,
                           now: datetime) -> Structure:  # fmt: skip
        structure = Structure.register(code=code, name=name, department=department,
                                       timetable=timetable, whit_monday_worked=whit_monday_worked,
                                       local_partners=local_partners, actor=actor, now=now)  # fmt: skip
        try:
            self.save(structure)
        except RecordConflictError:
            raise VersionConflict("a structure with this id exists", field="id",
                                  code="structure_exists") from None  # fmt: skip
        return structure

    def get_structure(self, code: str) -> Structure:
        return self._load(Structure, structure_uuid(code))

    def change_timetable(self, code: str, timetable: list[dict[str, Any]], effective_from: datetime,
                         *, actor: Actor, now: datetime) -> Structure:  # fmt: skip
        structure = self.get_structure(code)
        structure.change_timetable(timetable, effective_from, actor, now)
        self._save(structure)
        return structure

    # Requests -----------------------------------------------------------------------------

    def open_request(self, *, structure_code: str, channel: str, partner: str, mission: str,
                     theme: str, received_at: datetime, user: dict[str, Any], actor: Actor,
                     now: datetime) -> Request:  # fmt: skip
        structure = self.get_structure(structure_code)
        parsed_channel = parse_enum(Channel, channel, "channel")
        if not structure.accepts_partner(partner):
            raise InvalidInput("partner is neither national nor declared by the structure", field="partner")
        due_at = None
        if parsed_channel.has_response_deadline:
            due_at = structure.calendar.deadline(received_at, self.policy.response_working_hours)
        request = Request.open(
            structure_id=structure.id, channel=parsed_channel, partner=partner,
            mission=parse_enum(Mission, mission, "mission"), theme=theme, received_at=received_at,
            user=user, due_at=due_at, rule_version=RULE_VERSION,
            data_due_at=request_data_due_at(self.policy, now, None), actor=actor, now=now,
        )  # fmt: skip
        self.keys.create_key(request.envelope_id, request.id)
        self._save(request)
        return request

    def get_request(self, request_id: UUID) -> Request:
        return self._load(Request, request_id)

    def _activity_due(self, now: datetime) -> datetime:
        return request_data_due_at(self.policy, now, None)

    def assign_adviser(self, request_id: UUID, adviser: str, *, actor: Actor, now: datetime,
                       expected_version: int | None = None) -> Request:  # fmt: skip
        request = self._load(Request, request_id, expected_version)
        request.assign(adviser, data_due_at=self._activity_due(now), actor=actor, now=now)
        self._save(request)
        return request

    def respond(self, request_id: UUID, *, at: datetime, summary: str, actor: Actor, now: datetime,
                expected_version: int | None = None) -> Request:  # fmt: skip
        """The first response stops the SLA clock."""
        request = self._load(Request, request_id, expected_version)
        request.respond(at, summary, data_due_at=self._activity_due(now), actor=actor, now=now)
        self._save(request)
        return request

    def escalate(self, request_id: UUID, *, partner: str, reason: str, at: datetime, actor: Actor,
                 now: datetime, expected_version: int | None = None) -> Request:  # fmt: skip
        request = self._load(Request, request_id, expected_version)
        self._check_partner(request, partner)
        request.escalate(partner, reason, at, data_due_at=self._activity_due(now), actor=actor, now=now)
        self._save(request)
        return request

    def record_partner_answer(self, request_id: UUID, *, partner: str, summary: str, at: datetime,
                              actor: Actor, now: datetime,
                              expected_version: int | None = None) -> Request:  # fmt: skip
        request = self._load(Request, request_id, expected_version)
        request.record_partner_answer(partner, summary, at, data_due_at=self._activity_due(now),
                                      actor=actor, now=now)  # fmt: skip
        self._save(request)
        return request

    def _check_partner(self, request: Request, partner: str) -> None:
        structure = self._load(Structure, request.structure_id)
        if not structure.accepts_partner(partner):
            raise InvalidInput("partner is neither national nor declared by the structure", field="partner")

    def act_on_behalf(self, request_id: UUID, *, mandate_id: UUID | None, partner: str, scope: str,
                      procedure: str, at: datetime, actor: Actor, now: datetime,
                      expected_version: int | None = None) -> Request:  # fmt: skip
        """Art. 4.6: refused unless an active mandate of the structure covers partner and scope."""
        request = self._load(Request, request_id, expected_version)
        kind = parse_enum(ScopeKind, scope, "scope")
        mandate = self._mandate_for(request, mandate_id)
        mandate.check_can_act(partner, kind, now)
        request.record_action(mandate.id, partner, kind, procedure, at,
                              data_due_at=self._activity_due(now), actor=actor, now=now)  # fmt: skip
        mandate.record_use(request.id, partner, kind, at, actor=actor, now=now)
        self._save(request, mandate)
        return request

    def _mandate_for(self, request: Request, mandate_id: UUID | None) -> Mandate:
        if mandate_id is None:
            raise MandateRequired("acting on the user's behalf needs a signed mandate")
        try:
            mandate = self._load(Mandate, mandate_id)
        except NotFound:
            raise MandateRequired("no mandate with this id") from None
        if mandate.structure_id != request.structure_id:
            raise MandateRequired("no mandate with this id in the request's structure")
        return mandate

    def resolve(self, request_id: UUID, *, outcome: str, at: datetime, actor: Actor, now: datetime,
                expected_version: int | None = None) -> Request:  # fmt: skip
        request = self._load(Request, request_id, expected_version)
        request.resolve(parse_enum(Outcome, outcome, "outcome"), at,
                        data_due_at=request_data_due_at(self.policy, now, at), actor=actor, now=now)  # fmt: skip
        self._save(request)
        return request

    def reopen(self, request_id: UUID, *, reason: str, at: datetime, actor: Actor, now: datetime,
               expected_version: int | None = None) -> Request:  # fmt: skip
        request = self._load(Request, request_id, expected_version)
        request.reopen(reason, at, data_due_at=self._activity_due(now), actor=actor, now=now)
        self._save(request)
        return request

    # Mandates -----------------------------------------------------------------------------

    def sign_mandate(self, *, structure_code: str, mandant: dict[str, Any],
                     identity_verification: dict[str, Any], information_notice_version: str,
                     scopes: list[dict[str, Any]], valid_until: datetime, originals: int,
                     signed_document_sha256: str, signed_on_site: bool, actor: Actor,
                     now: datetime) -> Mandate:  # fmt: skip
        structure = self.get_structure(structure_code)
        for i, scope in enumerate(scopes):
            if isinstance(scope, dict) and not structure.accepts_partner(str(scope.get("partner"))):
                raise InvalidInput("partner is neither national nor declared by the structure",
                                   field=f"scopes[{i}].partner")  # fmt: skip
        mandate = Mandate.sign(
            structure_id=structure.id, mandant=mandant, identity_verification=identity_verification,
            information_notice_version=information_notice_version, scopes=scopes,
            valid_until=valid_until, originals=originals,
            signed_document_sha256=signed_document_sha256, signed_on_site=signed_on_site,
            policy=self.policy, actor=actor, now=now,
        )  # fmt: skip
        self.keys.create_key(mandate.envelope_id, mandate.id)
        self._save(mandate)
        return mandate

    def get_mandate(self, mandate_id: UUID) -> Mandate:
        return self._load(Mandate, mandate_id)

    def revoke_mandate(self, mandate_id: UUID, *, requested_by: str, channel: str, reason: str,
                       at: datetime, actor: Actor, now: datetime) -> Mandate:  # fmt: skip
        """Revocable at any time, effective at once; revoking twice records nothing more."""
        mandate = self._load(Mandate, mandate_id)
        if mandate.revoke(requested_by=requested_by,
                          channel=parse_enum(RevocationChannel, channel, "channel"), reason=reason,
                          at=at, policy=self.policy, actor=actor, now=now):  # fmt: skip
            self._save(mandate)
        return mandate

    def expire_mandate(self, mandate_id: UUID, *, actor: Actor, now: datetime) -> Mandate:
        mandate = self._load(Mandate, mandate_id)
        if mandate.expire(actor=actor, now=now):
            self._save(mandate)
        return mandate

    # Breaches -----------------------------------------------------------------------------

    def declare_breach(self, *, actor: Actor, now: datetime, **fields: Any) -> Breach:
        breach = Breach.declare(policy=self.policy, actor=actor, now=now, **fields)
        self._save(breach)
        return breach

    def get_breach(self, breach_id: UUID) -> Breach:
        return self._load(Breach, breach_id)

    def assess_breach_risk(self, breach_id: UUID, *, level: str, rationale: str, actor: Actor,
                           now: datetime) -> Breach:  # fmt: skip
        breach = self._load(Breach, breach_id)
        breach.assess_risk(parse_enum(RiskLevel, level, "level"), rationale, actor=actor, now=now)
        self._save(breach)
        return breach

    def notify_cnil(self, breach_id: UUID, *, phase: str, at: datetime, reference: str,
                    late_reason: str | None = None, actor: Actor, now: datetime) -> Breach:  # fmt: skip
        breach = self._load(Breach, breach_id)
        breach.notify_cnil(parse_enum(Phase, phase, "phase"), at, reference, late_reason,
                           actor=actor, now=now)  # fmt: skip
        self._save(breach)
        return breach

    def inform_breach_subjects(self, breach_id: UUID, *, at: datetime, channel: str, actor: Actor,
                               now: datetime) -> Breach:  # fmt: skip
        breach = self._load(Breach, breach_id)
        breach.inform_subjects(at, channel, actor=actor, now=now)
        self._save(breach)
        return breach

    def exempt_breach_subjects(self, breach_id: UUID, *, ground: str, rationale: str, actor: Actor,
                               now: datetime) -> Breach:  # fmt: skip
        breach = self._load(Breach, breach_id)
        breach.exempt_subjects(parse_enum(ExemptionGround, ground, "ground"), rationale,
                               actor=actor, now=now)  # fmt: skip
        self._save(breach)
        return breach

    def close_breach(self, breach_id: UUID, *, at: datetime, actor: Actor, now: datetime) -> Breach:
        breach = self._load(Breach, breach_id)
        breach.close(at, actor=actor, now=now)
        self._save(breach)
        return breach

    # Personal-data envelopes --------------------------------------------------------------

    def destroy_envelope(self, envelope_id: UUID, *, reason: str, actor: Actor,
                         now: datetime) -> Request | Mandate:  # fmt: skip
        """Deletes the envelope's key and records it, in one transaction; idempotent."""
        parsed = parse_enum(DestructionReason, reason, "reason")
        owner_id = self.keys.owner_of(envelope_id)
        if owner_id is None:
            raise NotFound("no such envelope")
        owner = self.repository.get(owner_id)
        if not isinstance(owner, Request | Mandate):
            raise NotFound("no such envelope")
        if isinstance(owner, Request):
            recorded = owner.destroy_personal_data(parsed, actor=actor, now=now)
        else:
            recorded = owner.destroy_personal_data(parsed.value, actor=actor, now=now)
        if recorded:
            self._save(owner, destroy_envelopes=[envelope_id])
            self.keys.scrub()
        return owner
