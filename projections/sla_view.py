"""The ``sla`` view: one row per request against its 72 working hours deadline.

States that depend on the clock (``due_soon``, ``overdue``) are decided at query time from stored
instants (``sla_queries``), so rows never go stale: ``due_soon_at`` is the latest instant with
24 working hours left (``BusinessCalendar.rewind``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.utils import get_topic

from domain.request import Request
from domain.sla_state import DUE_SOON
from domain.structure import Structure
from domain.working_time import BusinessCalendar
from projections.base import Item, Projection
from projections.db import Tx, from_iso, in_clause, iso
from projections.stored import State, instant, instant_text, uuid_hex

sla = Projection(
    name="sla",
    version=2,  # 2: the worklist's index, in its order
    tables={
        "sla_structures": "structure_id TEXT PRIMARY KEY, department TEXT NOT NULL, "
        "whit_monday_worked INTEGER NOT NULL",
        "sla": "request_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, partner TEXT NOT NULL, "
        "channel TEXT NOT NULL, mission TEXT NOT NULL, theme TEXT NOT NULL, "
        "received_at TEXT NOT NULL, due_at TEXT, due_soon_at TEXT, first_response_at TEXT, "
        "hours_to_first_response DOUBLE PRECISION, resolved_at TEXT, status TEXT NOT NULL",
    },
    # The first index covers every column the dashboard reads: it is answered from the index.
    # The third is the worklist's order (``sla_queries.worklist``): its first page is read from
    # the index instead of sorting all of a structure's requests.
    indexes={
        "sla": [
            "structure_id, received_at, due_at, first_response_at, partner, channel, "
            "hours_to_first_response",
            "received_at",
            "structure_id, (COALESCE(due_at, received_at)), request_id",
        ]
    },
)


ROW = (
    "request_id",
    "structure_id",
    "partner",
    "channel",
    "mission",
    "theme",
    "received_at",
    "due_at",
    "due_soon_at",
    "first_response_at",
    "hours_to_first_response",
    "resolved_at",
    "status",
)
_INSERT = f"INSERT INTO {{sla}} ({', '.join(ROW)}) VALUES ({', '.join(':' + c for c in ROW)})"
_UPDATE = (
    "UPDATE {sla} SET first_response_at = :first_response_at, "
    "hours_to_first_response = :hours_to_first_response, resolved_at = :resolved_at, "
    "status = :status WHERE request_id = :request_id"
)


class _Batch:
    """One batch: the rows it touches in memory, written at the end (insert new, update others)."""

    def __init__(self, tx: Tx, items: Sequence[Item]) -> None:
        self.tx = tx
        self.calendars: dict[str, BusinessCalendar] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.new: list[str] = []
        self.structures: list[dict[str, Any]] = []
        touched = sorted({s["originator_id"] for s, n in items if n.topic in _UPDATES})
        if touched:
            clause, params = in_clause("r", touched)
            for row in tx.all(
                f"SELECT {', '.join(ROW)} FROM {{sla}} WHERE request_id IN {clause}", params
            ):
                self.rows[row[0]] = dict(zip(ROW, row, strict=True))

    def calendar(self, structure_id: str) -> BusinessCalendar:
        if structure_id not in self.calendars:
            row = self.tx.one(
                "SELECT department, whit_monday_worked FROM {sla_structures} "
                "WHERE structure_id = :s",
                {"s": structure_id},
            )
            assert row is not None, "a request's structure is registered before it"
            self.calendars[structure_id] = BusinessCalendar(str(row[0]), bool(row[1]))
        return self.calendars[structure_id]

    def flush(self) -> None:
        self.tx.many("INSERT INTO {sla_structures} VALUES (:s, :d, :w)", self.structures)
        fresh = set(self.new)
        self.tx.many(_INSERT, [self.rows[r] for r in self.new])
        self.tx.many(_UPDATE, [row for r, row in sorted(self.rows.items()) if r not in fresh])


def _registered(batch: _Batch, state: State) -> None:
    structure, department = state["originator_id"], state["department"]
    worked = bool(state["whit_monday_worked"])
    batch.structures.append({"s": structure, "d": department, "w": int(worked)})
    batch.calendars[structure] = BusinessCalendar(department, worked)


def _opened(batch: _Batch, state: State) -> None:
    structure, request = uuid_hex(state["structure_id"]) or "", state["originator_id"]
    due_at = instant(state["due_at"])
    due_soon = None
    if due_at is not None:
        due_soon = batch.calendar(structure).rewind(due_at, DUE_SOON.total_seconds() / 3600)
    batch.rows[request] = {
        "request_id": request,
        "structure_id": structure,
        "partner": state["partner"],
        "channel": state["channel"],
        "mission": state["mission"],
        "theme": state["theme"],
        "received_at": instant_text(state["received_at"]),
        "due_at": iso(due_at),
        "due_soon_at": iso(due_soon),
        "first_response_at": None,
        "hours_to_first_response": None,
        "resolved_at": None,
        "status": "open",
    }
    batch.new.append(request)


def _responded(batch: _Batch, state: State) -> None:
    row = batch.rows[state["originator_id"]]
    if row["first_response_at"] is not None:
        return
    received, at = from_iso(row["received_at"]), instant(state["at"])
    assert received is not None
    assert at is not None
    working = batch.calendar(row["structure_id"]).working_time_between(received, at)
    row |= {
        "first_response_at": iso(at),
        "hours_to_first_response": working.total_seconds() / 3600,
    }
    if row["status"] == "open":
        row["status"] = "answered"


def _resolved(batch: _Batch, state: State) -> None:
    batch.rows[state["originator_id"]] |= {
        "resolved_at": instant_text(state["at"]),
        "status": "resolved",
    }


def _reopened(batch: _Batch, state: State) -> None:
    row = batch.rows[state["originator_id"]]
    row |= {
        "resolved_at": None,
        "status": "open" if row["first_response_at"] is None else "answered",
    }


_UPDATES = {get_topic(c) for c in (Request.Responded, Request.Resolved, Request.Reopened)}


sla.batched(
    _Batch,
    {
        Structure.Registered: _registered,
        Request.Opened: _opened,
        Request.Responded: _responded,
        Request.Resolved: _resolved,
        Request.Reopened: _reopened,
    },
)
