"""GDPR 15 access requests: a DPO finds every live envelope of one person, across structures.

The identity goes in the body (never in a URL or a log line) and is compared as a keyed hash;
the answer lists envelopes and what holds them (cases, mandates, complaints), not the data, which
the DPO then reads one by one.
That a person has a case somewhere is itself personal data: each envelope found is recorded as
read (purpose ``subject_access_request``), like each case read afterwards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Dpo
from api.schemas import Person
from domain.access import Purpose
from domain.complaint import Complaint
from domain.mandate import Mandate
from domain.personal_data import normalized_identity, validate_person
from domain.request import Request
from domain.structure import Structure

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])
ENDPOINT = "POST /v1/subjects/search"
KINDS = {Request: "request", Mandate: "mandate", Complaint: "complaint"}


@router.post("/search")
def search(body: Person, call: Dpo) -> list[dict[str, Any]]:
    ledger = call.ledger
    subject = normalized_identity(validate_person(body.model_dump(), "body"))
    owners = ledger.personal_data.owners_of_subject(subject)
    ledger.personal_data.record_accesses(  # one save for every envelope found
        owners,
        endpoint=ENDPOINT,
        purpose=Purpose.SUBJECT_ACCESS_REQUEST,
        actor=call.actor,
        now=call.now,
    )
    codes = {owner.structure_id: "" for owner in owners}
    for structure_id in codes:
        structure: Structure = ledger.repository.get(structure_id)
        codes[structure_id] = structure.code
    return [
        {
            "envelope_id": owner.envelope_id.hex,
            "kind": KINDS[type(owner)],
            "id": owner.id.hex,
            "structure_id": codes[owner.structure_id],
        }
        for owner in owners
    ]
