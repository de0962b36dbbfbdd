"""Commands on requests: open, work, act on the user's behalf, resolve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ports import SaveExtras
from application.unit import Unit
from domain.actor import Actor
from domain.errors import InvalidInput, MandateOtherPerson, MandateRequired, NotFound
from domain.mandate import Mandate
from domain.personal_data import normalized_identity, validate_person
from domain.referent import Referent
from domain.request import Outcome, Request
from domain.retention import request_data_due_at
from domain.structure import Structure, structure_uuid
from domain.validation import parse_enum, require_aware, require_not_after
from domain.vocabulary import Channel, Mission, ScopeKind
from domain.working_time import RULE_VERSION, quarter_of


class RequestCommands:
    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def get(self, request_id: UUID) -> Request:
        return self.unit.load(Request, request_id)

    def get_many(self, request_ids: Sequence[UUID]) -> list[Request]:
        return self.unit.load_many(Request, request_ids)

    def _activity_due(self, now: datetime) -> datetime:
        """Retention of an unresolved case runs from its last activity."""
        return request_data_due_at(self.unit.policy, now, None)

    def open_request(
        self,
        *,
        structure_code: str,
        channel: str,
        partner: str,
        mission: str,
        theme: str,
        received_at: datetime,
        user: dict[str, Any],
        actor: Actor,
        now: datetime,
    ) -> Request:
        """For e-mail and contact form, the answer is due 72 working hours after receipt."""
        structure = self.unit.load(Structure, structure_uuid(structure_code))
        received_at = structure.require_existing_at(
            require_not_after(received_at, now, "received_at"), "received_at"
        )
        parsed_channel = parse_enum(Channel, channel, "channel")
        structure.require_partner(partner)
        due_at = None
        if parsed_channel.has_response_deadline:
            due_at = structure.calendar.deadline(
                received_at, self.unit.policy.response_working_hours
            )
        subject = normalized_identity(validate_person(user, "user"))
        quarter = quarter_of(received_at, structure.calendar.tz)
        token, seen = self.unit.keys.visit_token(subject, structure.id, quarter)
        request = Request.open(
            structure_id=structure.id,
            channel=parsed_channel,
            partner=partner,
            mission=parse_enum(Mission, mission, "mission"),
            theme=theme,
            received_at=received_at,
            user=user,
            due_at=due_at,
            rule_version=RULE_VERSION,
            data_due_at=self._activity_due(now),
            new_visitor=not seen,
            actor=actor,
            now=now,
        )
        self.unit.save_opening(
            request, request.envelope_id, subject, SaveExtras(visit_tokens=((token, quarter),))
        )
        return request

    def assign_adviser(
        self,
        request: UUID | Request,
        adviser: str,
        *,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Request:
        due = self._activity_due(now)
        return self.unit.update(
            Request,
            request,
            lambda r: r.assign(adviser, data_due_at=due, actor=actor, now=now),
            expected_version,
        )

    def respond(
        self,
        request: UUID | Request,
        *,
        at: datetime,
        summary: str,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Request:
        """The first response stops the SLA clock."""
        due = self._activity_due(now)
        return self.unit.update(
            Request,
            request,
            lambda r: r.respond(at, summary, data_due_at=due, actor=actor, now=now),
            expected_version,
        )

    def escalate(
        self,
        request: UUID | Request,
        *,
        partner: str,
        reason: str,
        at: datetime,
        referent_id: str | UUID | None = None,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Request:
        """To the partner's referent (Art. 5.2.1): ``referent_id``, when given, must name an
        active referent of that partner at the request's structure."""

        def decide(found: Request) -> None:
            self.unit.load(Structure, found.structure_id).require_partner(partner)
            referent = self._referent(referent_id, found.structure_id, partner)
            found.escalate(
                partner,
                reason,
                at,
                referent_id=referent,
                data_due_at=self._activity_due(now),
                actor=actor,
                now=now,
            )

        return self.unit.update(Request, request, decide, expected_version)

    def _referent(
        self, referent_id: str | UUID | None, structure_id: UUID, partner: str
    ) -> UUID | None:
        if referent_id is None or referent_id == "":
            return None
        problem = InvalidInput(
            "referent_id names no active referent of this partner at this structure",
            field="referent_id",
        )
        try:
            found = self.unit.load(Referent, UUID(str(referent_id)))
        except (ValueError, NotFound):
            raise problem from None
        if found.structure_id != structure_id or found.partner != partner or not found.active:
            raise problem
        return found.id

    def record_partner_answer(
        self,
        request: UUID | Request,
        *,
        partner: str,
        summary: str,
        at: datetime,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Request:
        due = self._activity_due(now)
        return self.unit.update(
            Request,
            request,
            lambda r: r.record_partner_answer(
                partner, summary, at, data_due_at=due, actor=actor, now=now
            ),
            expected_version,
        )

    def act_on_behalf(
        self,
        request: UUID | Request,
        *,
        mandate_id: UUID | None,
        partner: str,
        scope: str,
        procedure: str,
        at: datetime,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Request:
        """Art. 4.6: refused unless an active mandate of the structure covers partner and scope;
        the action is recorded on the request and the use on the mandate in one save."""
        found = self.unit.load(Request, request, expected_version)
        kind = parse_enum(ScopeKind, scope, "scope")
        mandate = self._mandate_for(found, mandate_id)
        mandate.check_can_act(partner, kind, now)
        found.record_action(
            mandate.id,
            partner,
            kind,
            procedure,
            at,
            data_due_at=self._activity_due(now),
            actor=actor,
            now=now,
        )
        mandate.record_use(found.id, partner, kind, at, actor=actor, now=now)
        self.unit.save(found, mandate)
        return found

    def _mandate_for(self, request: Request, mandate_id: UUID | None) -> Mandate:
        if mandate_id is None:
            raise MandateRequired("acting on the user's behalf needs a signed mandate")
        try:
            mandate = self.unit.load(Mandate, mandate_id)
        except NotFound:
            raise MandateRequired("no mandate with this id") from None
        if mandate.structure_id != request.structure_id:
            raise MandateRequired("no mandate with this id in the request's structure")
        if not self.unit.keys.same_subject(request.envelope_id, mandate.envelope_id):
            raise MandateOtherPerson("this mandate was given by another person than the user")
        return mandate

    def resolve(
        self,
        request: UUID | Request,
        *,
        outcome: str,
        at: datetime,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Request:
        """The personal data become due for destruction at resolution plus any grace, counted
        in real days (UTC), like every elapsed time."""
        parsed, due = (
            parse_enum(Outcome, outcome, "outcome"),
            request_data_due_at(self.unit.policy, now, require_aware(at, "at")),
        )
        return self.unit.update(
            Request,
            request,
            lambda r: r.resolve(parsed, at, data_due_at=due, actor=actor, now=now),
            expected_version,
        )

    def reopen(
        self,
        request: UUID | Request,
        *,
        reason: str,
        at: datetime,
        actor: Actor,
        now: datetime,
        expected_version: int | None = None,
    ) -> Request:
        due = self._activity_due(now)
        return self.unit.update(
            Request,
            request,
            lambda r: r.reopen(reason, at, data_due_at=due, actor=actor, now=now),
            expected_version,
        )
