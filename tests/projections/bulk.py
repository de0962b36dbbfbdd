"""Many events fast: requests opened (and answered or resolved) in large single saves, built on
the aggregates directly (tests and benches)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from application.ledger import Ledger
from application.ports import SaveExtras
from domain.actor import Actor
from domain.request import Outcome, Request
from domain.retention import request_data_due_at
from domain.structure import Structure
from domain.vocabulary import Channel, Mission
from domain.working_time import RULE_VERSION

CHANNELS = (Channel.EMAIL, Channel.COUNTER, Channel.CONTACT_FORM, Channel.PHONE)
PARTNERS = ("caf", "cpam", "dgfip", "france_travail")


def opened(
    ledger: Ledger, structure: Structure, i: int, received: datetime, channel: Channel, actor: Actor
) -> Request:
    """The ``i``-th bulk request, opened as the Ledger would (deadline, retention)."""
    due = structure.calendar.deadline(received, 72) if channel.has_response_deadline else None
    return Request.open(
        structure_id=structure.id,
        channel=channel,
        partner=PARTNERS[i % len(PARTNERS)],
        mission=Mission.ADMINISTRATIVE_HELP,
        theme="bulk",
        received_at=received,
        user={"first_name": "Bulk", "last_name": f"N{i}"},
        due_at=due,
        rule_version=RULE_VERSION,
        data_due_at=request_data_due_at(ledger.policy, received, None),
        actor=actor,
        now=received,
    )


def save_in_chunks(
    ledger: Ledger, count: int, build: Callable[[int], Request], chunk: int
) -> list[Request]:
    """Builds ``count`` requests and saves them ``chunk`` at a time, each with its new key."""
    saved: list[Request] = []
    for first in range(0, count, chunk):
        requests = [build(i) for i in range(first, min(first + chunk, count))]
        for request in requests:
            ledger.keys.prepare_key(request.envelope_id, request.id)
        envelopes = tuple(r.envelope_id for r in requests)
        ledger.save(*requests, extras=SaveExtras(new_envelopes=envelopes))
        for request in requests:
            ledger.keys.discard_pending(request.envelope_id)
        saved += requests
    return saved


def bulk_requests(
    ledger: Ledger,
    structure_code: str,
    count: int,
    *,
    start: datetime,
    actor: Actor,
    chunk: int = 500,
) -> int:
    """Opens ``count`` requests (two thirds answered) in saves of ``chunk``; returns events."""
    structure = ledger.structures.get(structure_code)

    def build(i: int) -> Request:
        received = start + timedelta(minutes=7 * i)
        request = opened(ledger, structure, i, received, CHANNELS[i % len(CHANNELS)], actor)
        if i % 3:
            at = received + timedelta(hours=i % 90)
            request.respond(at, "answered", data_due_at=at, actor=actor, now=at)
        return request

    requests = save_in_chunks(ledger, count, build, chunk)
    return sum(1 + bool(r.first_response_at) for r in requests)


def bulk_cases(
    ledger: Ledger,
    structure_code: str,
    count: int,
    *,
    received: datetime,
    resolved: bool,
    actor: Actor,
    chunk: int = 1000,
) -> list[UUID]:
    """``count`` e-mail requests received at ``received``, left open or resolved at once (their
    data then due at ``received``); their envelope ids."""
    structure = ledger.structures.get(structure_code)

    def build(i: int) -> Request:
        request = opened(ledger, structure, i, received, Channel.EMAIL, actor)
        if resolved:
            request.resolve(
                Outcome.SOLVED, received, data_due_at=received, actor=actor, now=received
            )
        return request

    return [r.envelope_id for r in save_in_chunks(ledger, count, build, chunk)]
