"""The ``retention`` view: every personal-data envelope, when its data fall due for destruction
and why (Art. 4.6), and when they were destroyed. The scheduler destroys what falls due from it;
``GET /v1/envelopes/due`` shows a DPO the queue before it runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from domain.breach import Breach
from domain.complaint import Complaint
from domain.mandate import Mandate
from domain.personal_data import DestructionReason
from domain.request import Request
from projections.base import Projection
from projections.db import Tx, hex_id, iso
from projections.structures import code_of

retention = Projection(
    name="retention",
    # 2: owner_id UNIQUE, so that a rebuild's updates find their row by index; 3: the queue's
    # partial index, in its own order (the scheduler and the DPO read its first rows)
    version=3,
    tables={
        "retention": "envelope_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL UNIQUE, "
        "owner_kind TEXT NOT NULL, structure_id TEXT, data_due_at TEXT NOT NULL, "
        "reason TEXT NOT NULL, destroyed_at TEXT",
    },
    indexes={"retention": ["data_due_at, envelope_id WHERE destroyed_at IS NULL", "destroyed_at"]},
)
COLUMNS = (
    "envelope_id",
    "owner_kind",
    "owner_id",
    "structure_id",
    "data_due_at",
    "reason",
    "structure_code",
)
REQUEST_EVENTS = (
    Request.AdviserAssigned,
    Request.Responded,
    Request.Escalated,
    Request.PartnerAnswered,
    Request.ActedOnBehalf,
    Request.Reopened,
)


def _insert(tx: Tx, event: Any, kind: str, reason: DestructionReason) -> None:
    """``event`` opens an envelope (a breach has no structure)."""
    tx.run(
        "INSERT INTO {retention} (envelope_id, owner_id, owner_kind, structure_id, data_due_at, "
        "reason) VALUES (:e, :o, :k, :s, :due, :reason)",
        {
            "e": hex_id(event.envelope_id),
            "o": hex_id(event.originator_id),
            "k": kind,
            "s": hex_id(getattr(event, "structure_id", None)),
            "due": iso(event.data_due_at),
            "reason": reason.value,
        },
    )


def _due(tx: Tx, event: Any, reason: DestructionReason) -> None:
    tx.run(
        "UPDATE {retention} SET data_due_at = :due, reason = :reason WHERE owner_id = :o",
        {"o": hex_id(event.originator_id), "due": iso(event.data_due_at), "reason": reason.value},
    )


@retention.on(Request.Opened)
def _opened(tx: Tx, event: Any, _: Notification) -> None:
    _insert(tx, event, "request", DestructionReason.INACTIVE)


@retention.on(*REQUEST_EVENTS)
def _activity(tx: Tx, event: Any, _: Notification) -> None:
    """An unresolved case is kept from its last activity."""
    _due(tx, event, DestructionReason.INACTIVE)


@retention.on(Request.Resolved)
def _resolved(tx: Tx, event: Any, _: Notification) -> None:
    _due(tx, event, DestructionReason.PROCEDURE_RESOLVED)


@retention.on(Mandate.Signed)
def _signed(tx: Tx, event: Any, _: Notification) -> None:
    _insert(tx, event, "mandate", DestructionReason.RETENTION_EXPIRED)


@retention.on(Mandate.Revoked)
def _revoked(tx: Tx, event: Any, _: Notification) -> None:
    _due(tx, event, DestructionReason.RETENTION_EXPIRED)


@retention.on(Breach.Declared)
def _declared(tx: Tx, event: Any, _: Notification) -> None:
    """A breach's free texts are kept for the register's retention (none before v2)."""
    if event.envelope_id is not None:
        _insert(tx, event, "breach", DestructionReason.RETENTION_EXPIRED)


@retention.on(Complaint.Received)
def _complaint(tx: Tx, event: Any, _: Notification) -> None:
    _insert(tx, event, "complaint", DestructionReason.INACTIVE)


@retention.on(Complaint.Answered)
def _answered(tx: Tx, event: Any, _: Notification) -> None:
    _due(tx, event, DestructionReason.PROCEDURE_RESOLVED)


@retention.on(
    Request.PersonalDataDestroyed,
    Mandate.PersonalDataDestroyed,
    Breach.PersonalDataDestroyed,
    Complaint.PersonalDataDestroyed,
)
def _destroyed(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {retention} SET destroyed_at = :at WHERE owner_id = :o",
        {"o": hex_id(event.originator_id), "at": iso(event.at)},
    )


def due(tx: Tx, before: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """Live envelopes whose data fall due by ``before``, earliest first."""
    rows = tx.all(
        f"SELECT {', '.join(COLUMNS[:-1])}, {code_of('r.structure_id')} FROM {{retention}} r "
        "WHERE destroyed_at IS NULL AND data_due_at <= :before "
        "ORDER BY data_due_at, envelope_id LIMIT :limit",
        {"before": iso(before), "limit": limit},
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def destroyed_since(tx: Tx, since: datetime, limit: int = 200) -> list[dict[str, Any]]:
    """Envelopes destroyed at or after ``since``, the latest first, each with who destroyed it
    (from the audit trail's entry of the destruction): the DPO's record of destructions done."""
    rows = tx.all(
        "SELECT r.destroyed_at, r.envelope_id, r.owner_kind, r.owner_id, a.actor "
        "FROM {retention} r LEFT JOIN {audit_trail} a ON a.envelope_id = r.envelope_id "
        "AND a.action IN ('Request.PersonalDataDestroyed', 'Mandate.PersonalDataDestroyed', "
        "'Breach.PersonalDataDestroyed', 'Complaint.PersonalDataDestroyed') "
        "WHERE r.destroyed_at >= :since ORDER BY r.destroyed_at DESC, r.envelope_id LIMIT :limit",
        {"since": iso(since), "limit": limit},
    )
    names = ("at", "envelope_id", "owner_kind", "owner_id", "actor")
    return [dict(zip(names, row, strict=True)) for row in rows]
