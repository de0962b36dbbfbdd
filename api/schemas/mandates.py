"""Bodies of the mandate endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Code, Id, In, Instant, Person, Text
from domain.mandate import RevocationChannel
from domain.vocabulary import ScopeKind


class IdentityVerification(In):
    document_type: Code | None = None
    verified_at: Instant | None = None


class Notice(In):
    version: Code | None = None


class Scope(In):
    partner: Code
    kinds: Annotated[list[ScopeKind], Field(min_length=1, max_length=2)]


class MandateIn(In):
    """Optional here so that the Ledger names the first missing precondition of Art. 4.6
    (422 ``mandate_precondition_missing``)."""

    structure_id: Id
    mandant: Person
    identity_verification: IdentityVerification | None = None
    information_notice: Notice | None = None
    scopes: Annotated[list[Scope], Field(max_length=20)] = []
    valid_until: Instant | None = None
    originals: int | None = Field(default=None, ge=0, le=10, strict=True)
    signed_document_sha256: Annotated[str, StringConstraints(max_length=64)] | None = None
    signed_on_site: bool | None = Field(default=None, strict=True)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "structure_id": "montauban",
                    "mandant": {"first_name": "Jeanne", "last_name": "Martin"},
                    "identity_verification": {
                        "document_type": "id_card",
                        "verified_at": "2026-11-23T10:00:00+01:00",
                    },
                    "information_notice": {"version": "2026-01"},
                    "scopes": [{"partner": "caf", "kinds": ["act_on_behalf"]}],
                    "valid_until": "2027-05-23T10:00:00+01:00",
                    "originals": 2,
                    "signed_document_sha256": "a" * 64,
                    "signed_on_site": True,
                }
            ]
        },
    )


class MandateOut(BaseModel):
    id: str
    version: int
    status: str
    structure_id: str
    scopes: list[dict[str, Any]]
    valid_until: AwareDatetime
    revoked_at: AwareDatetime | None
    envelope_id: str
    uses: int
    mandant: dict[str, Any] | None = None


class RevocationIn(In):
    at: Instant
    requested_by: Text
    channel: RevocationChannel
    reason: Text

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-11-25T10:00:00+01:00",
                    "requested_by": "mandant",
                    "channel": "counter",
                    "reason": "no longer needed",
                }
            ]
        },
    )


class StatusOut(BaseModel):
    id: str
    version: int
    status: str
