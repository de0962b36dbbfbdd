"""The ``quarterly`` view: the ANCT / partners report per structure and civil quarter.

Counts only, never a person: visits (requests received in person, at the counter), distinct
users (requests whose user was new to the structure that quarter, decided at opening and
recorded on the event, so a rebuild gives the same count after any destruction), requests by
partner x theme x channel x mission, outcomes, SLA compliance of the quarter's requests, and
mandates signed and revoked. Quarters are civil quarters in the structure's time zone.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from eventsourcing.persistence import Notification

from domain.calendar import quarter_of, time_zone_of
from domain.mandate import Mandate
from domain.request import Request
from domain.structure import Structure
from projections.base import Projection
from projections.db import Tx, from_iso, hex_id, iso

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


def _quarter(tx: Tx, structure: str, instant: datetime) -> str:
    row = tx.one("SELECT department FROM {q_structures} WHERE structure_id = :s", {"s": structure})
    assert row is not None, "a structure is registered before its cases"
    return quarter_of(instant, time_zone_of(str(row[0])))


def _case(tx: Tx, aggregate_id: Any) -> tuple[str, str | None, str | None, bool]:
    row = tx.one(
        "SELECT structure_id, quarter, due_at, answered FROM {q_cases} WHERE aggregate_id = :a",
        {"a": hex_id(aggregate_id)},
    )
    assert row is not None
    return str(row[0]), row[1], row[2], bool(row[3])


@quarterly.on(Structure.Registered)
def _registered(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {q_structures} VALUES (:s, :d)",
        {"s": hex_id(event.originator_id), "d": event.department},
    )


@quarterly.on(Request.Opened)
def _opened(tx: Tx, event: Any, _: Notification) -> None:
    structure = hex_id(event.structure_id) or ""
    quarter = _quarter(tx, structure, event.received_at)
    tx.run(
        "INSERT INTO {q_cases} VALUES (:a, :s, :q, :due, 0)",
        {"a": hex_id(event.originator_id), "s": structure, "q": quarter, "due": iso(event.due_at)},
    )
    _bump(
        tx,
        structure,
        quarter,
        requests=1,
        visits=int(event.channel == "counter"),
        distinct_users=int(bool(event.new_visitor)),
    )
    tx.run(
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


@quarterly.on(Request.Responded)
def _responded(tx: Tx, event: Any, _: Notification) -> None:
    structure, quarter, due, answered = _case(tx, event.originator_id)
    if answered:
        return
    tx.run(
        "UPDATE {q_cases} SET answered = 1 WHERE aggregate_id = :a",
        {"a": hex_id(event.originator_id)},
    )
    due_at = from_iso(due)
    if due_at is not None and quarter is not None:
        on_time = event.at <= due_at
        _bump(tx, structure, quarter, answered_on_time=int(on_time), answered_late=int(not on_time))


@quarterly.on(Request.Resolved)
def _resolved(tx: Tx, event: Any, _: Notification) -> None:
    structure = _case(tx, event.originator_id)[0]
    tx.run(
        "INSERT INTO {quarterly_outcomes} VALUES (:s, :q, :o, 1) "
        "ON CONFLICT (structure_id, quarter, outcome) "
        "DO UPDATE SET resolutions = {quarterly_outcomes}.resolutions + 1",
        {"s": structure, "q": _quarter(tx, structure, event.at), "o": event.outcome},
    )


@quarterly.on(Mandate.Signed)
def _signed(tx: Tx, event: Any, _: Notification) -> None:
    structure = hex_id(event.structure_id) or ""
    tx.run(
        "INSERT INTO {q_cases} VALUES (:a, :s, NULL, NULL, 0)",
        {"a": hex_id(event.originator_id), "s": structure},
    )
    _bump(tx, structure, _quarter(tx, structure, event.timestamp), mandates_signed=1)


@quarterly.on(Mandate.Revoked)
def _revoked(tx: Tx, event: Any, _: Notification) -> None:
    structure = _case(tx, event.originator_id)[0]
    _bump(tx, structure, _quarter(tx, structure, event.at), mandates_revoked=1)


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


def write_csv(lines: Iterator[list[Any]], out: IO[str]) -> None:
    writer = csv.writer(out)
    for line in lines:
        writer.writerow(line)
