"""Reads of personal data: every response that shows a person's data in clear is recorded.

Each read is its own small aggregate (one event), so recording it never changes the version of
the case that was read: an ``ETag`` stays valid across reads.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate
from domain.validation import require_text


class Purpose(StrEnum):
    """Why personal data were shown, and the GDPR article that allows it."""

    CASE_HANDLING = "case_handling"
    SUPERVISION = "supervision"
    SUBJECT_ACCESS_REQUEST = "subject_access_request"

    @property
    def legal_basis(self) -> str:
        return "gdpr-15" if self is Purpose.SUBJECT_ACCESS_REQUEST else "gdpr-6-1-e"


class DataAccess(LedgerAggregate):
    def __init__(
        self,
        envelope_id: UUID,
        structure_id: UUID,
        request_id: UUID | None,
        mandate_id: UUID | None,
        endpoint: str,
        purpose: str,
        legal_basis: str,
    ) -> None:
        self.envelope_id = envelope_id
        self.structure_id = structure_id
        self.request_id = request_id
        self.mandate_id = mandate_id
        self.endpoint = endpoint
        self.purpose = purpose
        self.legal_basis = legal_basis

    class PersonalDataRead(LedgerAggregate.Created):
        envelope_id: UUID
        structure_id: UUID
        request_id: UUID | None
        mandate_id: UUID | None
        endpoint: str
        purpose: str
        legal_basis: str

    @classmethod
    def record(
        cls,
        *,
        envelope_id: UUID,
        structure_id: UUID,
        request_id: UUID | None = None,
        mandate_id: UUID | None = None,
        endpoint: str,
        purpose: Purpose,
        actor: Actor,
        now: datetime,
    ) -> DataAccess:
        return cls._create(
            cls.PersonalDataRead,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            envelope_id=envelope_id,
            structure_id=structure_id,
            request_id=request_id,
            mandate_id=mandate_id,
            endpoint=require_text(endpoint, "endpoint", 200),
            purpose=purpose.value,
            legal_basis=purpose.legal_basis,
        )
