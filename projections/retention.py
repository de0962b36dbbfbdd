"""The ``retention`` view: every personal-data envelope, when its data fall due for destruction
and why (Art. 4.6), and when they were destroyed. The scheduler destroys what falls due from it;
``GET /v1/envelopes/due`` shows a DPO the queue before it runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.breach import Breach
from domain.complaint import Complaint
from domain.mandate import Mandate
from domain.personal_data import DestructionReason
from domain.request import Request
from projections.base import Item, Projection
from projections.db import Tx, iso
from projections.stored import State, instant_text, uuid_hex
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


class _Batch:
    """One batch's changes, written with one statement per kind (a rebuild moves through
    hundreds of thousands of envelopes): rows opened in the batch are completed in memory, the
    others get one update of their last due date and one of their destruction."""

    def __init__(self, tx: Tx, _: Sequence[Item]) -> None:
        self.tx = tx
        self.opened: dict[str, dict[str, Any]] = {}
        self.due: dict[str, dict[str, Any]] = {}
        self.destroyed: dict[str, dict[str, Any]] = {}

    def open(self, state: State, kind: str, reason: DestructionReason) -> None:
        """The event of ``state`` opens an envelope (a breach has no structure)."""
        owner: str = state["originator_id"]
        self.opened[owner] = {
            "e": uuid_hex(state["envelope_id"]),
            "o": owner,
            "k": kind,
            "s": uuid_hex(state.get("structure_id")),
            "due": instant_text(state["data_due_at"]),
            "reason": reason.value,
            "at": None,
        }

    def set_due(self, state: State, reason: DestructionReason) -> None:
        owner: str = state["originator_id"]
        row = self.opened.get(owner) or self.due.setdefault(owner, {"o": owner})
        row |= {"due": instant_text(state["data_due_at"]), "reason": reason.value}

    def destroy(self, state: State) -> None:
        owner: str = state["originator_id"]
        row = self.opened.get(owner) or self.destroyed.setdefault(owner, {"o": owner})
        row["at"] = instant_text(state["at"])

    def flush(self) -> None:
        self.tx.many(
            "INSERT INTO {retention} (envelope_id, owner_id, owner_kind, structure_id, "
            "data_due_at, reason, destroyed_at) VALUES (:e, :o, :k, :s, :due, :reason, :at)",
            list(self.opened.values()),
        )
        self.tx.many(
            "UPDATE {retention} SET data_due_at = :due, reason = :reason WHERE owner_id = :o",
            list(self.due.values()),
        )
        self.tx.many(
            "UPDATE {retention} SET destroyed_at = :at WHERE owner_id = :o",
            list(self.destroyed.values()),
        )


def _opened(batch: _Batch, state: State) -> None:
    batch.open(state, "request", DestructionReason.INACTIVE)


def _activity(batch: _Batch, state: State) -> None:
    """An unresolved case is kept from its last activity."""
    batch.set_due(state, DestructionReason.INACTIVE)


def _resolved(batch: _Batch, state: State) -> None:
    batch.set_due(state, DestructionReason.PROCEDURE_RESOLVED)


def _signed(batch: _Batch, state: State) -> None:
    batch.open(state, "mandate", DestructionReason.RETENTION_EXPIRED)


def _revoked(batch: _Batch, state: State) -> None:
    batch.set_due(state, DestructionReason.RETENTION_EXPIRED)


def _declared(batch: _Batch, state: State) -> None:
    """A breach's free texts are kept for the register's retention (none before v2)."""
    if state["envelope_id"] is not None:
        batch.open(state, "breach", DestructionReason.RETENTION_EXPIRED)


def _complaint(batch: _Batch, state: State) -> None:
    batch.open(state, "complaint", DestructionReason.INACTIVE)


def _answered(batch: _Batch, state: State) -> None:
    batch.set_due(state, DestructionReason.PROCEDURE_RESOLVED)


def _destroyed(batch: _Batch, state: State) -> None:
    batch.destroy(state)


retention.batched(
    _Batch,
    {
        Request.Opened: _opened,
        **dict.fromkeys(REQUEST_EVENTS, _activity),
        Request.Resolved: _resolved,
        Mandate.Signed: _signed,
        Mandate.Revoked: _revoked,
        Breach.Declared: _declared,
        Complaint.Received: _complaint,
        Complaint.Answered: _answered,
        Request.PersonalDataDestroyed: _destroyed,
        Mandate.PersonalDataDestroyed: _destroyed,
        Breach.PersonalDataDestroyed: _destroyed,
        Complaint.PersonalDataDestroyed: _destroyed,
    },
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
