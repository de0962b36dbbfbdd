"""Many events fast: requests opened and answered in large single saves (tests and benches)."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.ledger import Ledger
from application.ports import SaveExtras
from domain.actor import Actor
from domain.request import Request
from domain.retention import request_data_due_at
from domain.vocabulary import Channel, Mission
from domain.working_time import RULE_VERSION

CHANNELS = (Channel.EMAIL, Channel.COUNTER, Channel.CONTACT_FORM, Channel.PHONE)
PARTNERS = ("caf", "cpam", "dgfip", "france_travail")


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
    events = 0
    for first in range(0, count, chunk):
        requests = []
        for i in range(first, min(first + chunk, count)):
            received = start + timedelta(minutes=7 * i)
            channel = CHANNELS[i % len(CHANNELS)]
            due = (
                structure.calendar.deadline(received, 72) if channel.has_response_deadline else None
            )
            request = Request.open(
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
            if i % 3:
                at = received + timedelta(hours=i % 90)
                request.respond(at, "answered", data_due_at=at, actor=actor, now=at)
            ledger.keys.prepare_key(request.envelope_id, request.id)
            requests.append(request)
        ledger.save(
            *requests, extras=SaveExtras(new_envelopes=tuple(r.envelope_id for r in requests))
        )
        for request in requests:
            ledger.keys.discard_pending(request.envelope_id)
        events += sum(1 + bool(r.first_response_at) for r in requests)
    return events
