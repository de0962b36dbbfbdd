"""The ``quarterly`` view: the ANCT / partners report per structure and civil quarter.

Counts only, never a person: visits (requests received in person, at the counter), distinct
users (requests whose user was new to the structure that quarter, decided at opening and
recorded on the event, so a rebuild gives the same count after any destruction), requests by
partner x theme x channel x mission, outcomes, SLA compliance of the quarter's requests, and
mandates signed and revoked. Quarters are civil quarters in the structure's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic

from domain.calendar import quarter_of, time_zone_of
from domain.mandate import Mandate
from domain.request import Request
from domain.structure import Structure
from projections.base import Item, Projection
from projections.db import Tx, from_iso, hex_id, in_clause, iso

COUNTERS = (
    "visits",
    "distinct_users",
    "requests",
    "answered_on_time",
    "answered_late",
    "mandates_signed",
    "mandates_revoked",
)
DIMENSIONS = ("partner", "theme", "channel", "mission")

quarterly = Projection(
    name="quarterly",
    version=1,
    tables={
        "q_structures": "structure_id TEXT PRIMARY KEY, department TEXT NOT NULL",
        "q_cases": "aggregate_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, quarter TEXT, "
        "due_at TEXT, answered INTEGER NOT NULL",
        "quarterly": "structure_id TEXT NOT NULL, quarter TEXT NOT NULL, "
        + ", ".join(f"{c} BIGINT NOT NULL" for c in COUNTERS)
        + ", PRIMARY KEY (structure_id, quarter)",
        "quarterly_requests": "structure_id TEXT NOT NULL, quarter TEXT NOT NULL, "
        + ", ".join(f"{d} TEXT NOT NULL" for d in DIMENSIONS)
        + ", requests BIGINT NOT NULL, PRIMARY KEY (structure_id, quarter, "
        + ", ".join(DIMENSIONS)
        + ")",
        "quarterly_outcomes": "structure_id TEXT NOT NULL, quarter TEXT NOT NULL, "
        "outcome TEXT NOT NULL, resolutions BIGINT NOT NULL, "
        "PRIMARY KEY (structure_id, quarter, outcome)",
    },
)
_BUMP = (
    "INSERT INTO {quarterly} (structure_id, quarter, "
    + ", ".join(COUNTERS)
    + ") VALUES (:s, :q, "
    + ", ".join(f":{c}" for c in COUNTERS)
    + ") ON CONFLICT (structure_id, quarter) DO UPDATE SET "
    + ", ".join(f"{c} = {{quarterly}}.{c} + excluded.{c}" for c in COUNTERS)
)


def _bump(tx: Tx, structure: str, quarter: str, **increments: int) -> None:
    tx.run(_BUMP, {"s": structure, "q": quarter, **dict.fromkeys(COUNTERS, 0), **increments})


class _Batch:
    """What one batch's handlers share: structures' time zones and the cases they touch."""

    def __init__(self, tx: Tx, items: Sequence[Item]) -> None:
        self.tx = tx
        self.zones: dict[str, ZoneInfo] = {}
        self.cases: dict[str, list[Any]] = {}
        touched = sorted(
            {hex_id(e.originator_id) or "" for e, _ in items if e.originator_version > 1}
        )
        if touched:
            clause, params = in_clause("a", touched)
            for aggregate, *case in tx.all(
                "SELECT aggregate_id, structure_id, quarter, due_at, answered FROM {q_cases} "
                f"WHERE aggregate_id IN {clause}",
                params,
            ):
                self.cases[aggregate] = case

    def quarter(self, structure: str, instant: datetime) -> str:
        if structure not in self.zones:
            row = self.tx.one(
                "SELECT department FROM {q_structures} WHERE structure_id = :s", {"s": structure}
            )
            assert row is not None, "a structure is registered before its cases"
            self.zones[structure] = time_zone_of(str(row[0]))
        return quarter_of(instant, self.zones[structure])

    def add_case(
        self, aggregate: str, structure: str, quarter: str | None, due: str | None
    ) -> None:
        self.tx.run(
            "INSERT INTO {q_cases} VALUES (:a, :s, :q, :due, 0)",
            {"a": aggregate, "s": structure, "q": quarter, "due": due},
        )
        self.cases[aggregate] = [structure, quarter, due, 0]


def _registered(batch: _Batch, event: Any) -> None:
    batch.tx.run(
        "INSERT INTO {q_structures} VALUES (:s, :d)",
        {"s": hex_id(event.originator_id), "d": event.department},
    )


def _opened(batch: _Batch, event: Any) -> None:
    structure = hex_id(event.structure_id) or ""
    quarter = batch.quarter(structure, event.received_at)
    batch.add_case(hex_id(event.originator_id) or "", structure, quarter, iso(event.due_at))
    _bump(
        batch.tx,
        structure,
        quarter,
        requests=1,
        visits=int(event.channel == "counter"),
        distinct_users=int(bool(event.new_visitor)),
    )
    batch.tx.run(
        "INSERT INTO {quarterly_requests} VALUES (:s, :q, :partner, :theme, :channel, :mission, 1) "
        "ON CONFLICT (structure_id, quarter, partner, theme, channel, mission) "
        "DO UPDATE SET requests = {quarterly_requests}.requests + 1",
        {
            "s": structure,
            "q": quarter,
            "partner": event.partner,
            "theme": event.theme,
            "channel": event.channel,
            "mission": event.mission,
        },
    )


def _responded(batch: _Batch, event: Any) -> None:
    aggregate = hex_id(event.originator_id) or ""
    case = batch.cases[aggregate]
    structure, quarter, due, answered = case
    if answered:
        return
    case[3] = 1
    batch.tx.run("UPDATE {q_cases} SET answered = 1 WHERE aggregate_id = :a", {"a": aggregate})
    due_at = from_iso(due)
    if due_at is not None and quarter is not None:
        on_time = event.at <= due_at
        _bump(
            batch.tx,
            structure,
            quarter,
            answered_on_time=int(on_time),
            answered_late=int(not on_time),
        )


def _resolved(batch: _Batch, event: Any) -> None:
    structure = batch.cases[hex_id(event.originator_id) or ""][0]
    batch.tx.run(
        "INSERT INTO {quarterly_outcomes} VALUES (:s, :q, :o, 1) "
        "ON CONFLICT (structure_id, quarter, outcome) "
        "DO UPDATE SET resolutions = {quarterly_outcomes}.resolutions + 1",
        {"s": structure, "q": batch.quarter(structure, event.at), "o": event.outcome},
    )


def _signed(batch: _Batch, event: Any) -> None:
    structure = hex_id(event.structure_id) or ""
    batch.add_case(hex_id(event.originator_id) or "", structure, None, None)
    _bump(batch.tx, structure, batch.quarter(structure, event.timestamp), mandates_signed=1)


def _revoked(batch: _Batch, event: Any) -> None:
    structure = batch.cases[hex_id(event.originator_id) or ""][0]
    _bump(batch.tx, structure, batch.quarter(structure, event.at), mandates_revoked=1)


HANDLERS: dict[type, Callable[[_Batch, Any], None]] = {
    Structure.Registered: _registered,
    Request.Opened: _opened,
    Request.Responded: _responded,
    Request.Resolved: _resolved,
    Mandate.Signed: _signed,
    Mandate.Revoked: _revoked,
}
_BY_NAME = {cls.__qualname__: handler for cls, handler in HANDLERS.items()}


def _apply(tx: Tx, items: Sequence[Item]) -> None:
    batch = _Batch(tx, items)
    for event, _ in items:
        handler = _BY_NAME.get(type(event).__qualname__)
        if handler is not None:
            handler(batch, event)


quarterly.batch = _apply
quarterly.topics = {get_topic(cls) for cls in HANDLERS}


def report(tx: Tx, structure_id: str, quarter: str) -> dict[str, Any]:
    """One structure's quarter: totals, on-time rate, requests by dimension, outcomes."""
    params = {"s": structure_id, "q": quarter}
    row = tx.one(
        f"SELECT {', '.join(COUNTERS)} FROM {{quarterly}} WHERE structure_id = :s AND quarter = :q",
        params,
    )
    totals = dict(zip(COUNTERS, row or (0,) * len(COUNTERS), strict=True))
    answered = totals["answered_on_time"] + totals["answered_late"]
    requests = tx.all(
        f"SELECT {', '.join(DIMENSIONS)}, requests FROM {{quarterly_requests}} "
        f"WHERE structure_id = :s AND quarter = :q ORDER BY {', '.join(DIMENSIONS)}",
        params,
    )
    outcomes = tx.all(
        "SELECT outcome, resolutions FROM {quarterly_outcomes} WHERE structure_id = :s "
        "AND quarter = :q ORDER BY outcome",
        params,
    )
    return {
        "structure_id": structure_id,
        "quarter": quarter,
        **totals,
        "sla_on_time_rate": round(totals["answered_on_time"] / answered, 4) if answered else None,
        "requests_by": [dict(zip((*DIMENSIONS, "requests"), r, strict=True)) for r in requests],
        "outcomes": dict(outcomes),
    }


def csv_lines(
    tx: Tx, quarter: str, structure_id: str | None = None, page: int = 1000
) -> Iterator[list[Any]]:
    """The detailed counts, one line per structure x partner x theme x channel x mission."""
    yield ["structure_id", "quarter", *DIMENSIONS, "requests"]
    where = "quarter = :q" + (" AND structure_id = :s" if structure_id else "")
    order = ", ".join(("structure_id", *DIMENSIONS))
    offset = 0
    while rows := tx.all(
        f"SELECT structure_id, quarter, {', '.join(DIMENSIONS)}, requests FROM "
        f"{{quarterly_requests}} WHERE {where} ORDER BY {order} LIMIT :n OFFSET :o",
        {"q": quarter, "s": structure_id, "n": page, "o": offset},
    ):
        yield from (list(r) for r in rows)
        offset += page
