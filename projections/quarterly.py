"""The ``quarterly`` view: the ANCT / partners report per structure and civil quarter.

Counts only, never a person: visits (requests received in person, at the counter), distinct
users (requests whose user was new to the structure that quarter, decided at opening and
recorded on the event, so a rebuild gives the same count after any destruction), requests by
partner x theme x channel x mission, outcomes, SLA compliance of the quarter's requests, and
mandates signed and revoked. Quarters are civil quarters in the structure's time zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.mandate import Mandate
from domain.request import Request
from domain.sla_state import on_time_rate
from domain.structure import Structure
from domain.working_time import quarter_bounds, quarter_of, time_zone_of
from projections.base import Item, Projection
from projections.db import Tx, from_iso, in_clause, iso
from projections.stored import State, instant, instant_text, uuid_hex
from projections.structures import code_of

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


class _Batch:
    """One batch: time zones and cases in memory, every count summed, written once at the end."""

    def __init__(self, tx: Tx, items: Sequence[Item]) -> None:
        self.tx = tx
        self.zones: dict[str, ZoneInfo] = {}
        self.cases: dict[str, list[Any]] = {}
        self.new_structures: list[dict[str, Any]] = []
        self.new_cases: set[str] = set()
        self.answered: set[str] = set()
        self.counters: dict[tuple[str, str], dict[str, int]] = {}
        self.requests: Counter[tuple[str, ...]] = Counter()
        self.outcomes: Counter[tuple[str, str, str]] = Counter()
        touched = sorted({s["originator_id"] for s, _ in items if s["originator_version"] > 1})
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
        self.cases[aggregate] = [structure, quarter, due, 0]
        self.new_cases.add(aggregate)

    def bump(self, structure: str, quarter: str, **increments: int) -> None:
        counters = self.counters.setdefault((structure, quarter), dict.fromkeys(COUNTERS, 0))
        for name, value in increments.items():
            counters[name] += value

    def flush(self) -> None:
        tx = self.tx
        tx.many("INSERT INTO {q_structures} VALUES (:s, :d)", self.new_structures)
        tx.many(
            "INSERT INTO {q_cases} VALUES (:a, :s, :q, :due, :answered)",
            [
                dict(zip(("a", "s", "q", "due", "answered"), (a, *self.cases[a]), strict=True))
                for a in sorted(self.new_cases)
            ],
        )
        tx.many(
            "UPDATE {q_cases} SET answered = 1 WHERE aggregate_id = :a",
            [{"a": a} for a in sorted(self.answered - self.new_cases)],
        )
        tx.many(_BUMP, [{"s": s, "q": q, **c} for (s, q), c in sorted(self.counters.items())])
        tx.many(
            _REQUESTS,
            [
                dict(zip(("s", "q", *DIMENSIONS), key, strict=True)) | {"n": n}
                for key, n in sorted(self.requests.items())
            ],
        )
        tx.many(
            _OUTCOMES,
            [{"s": s, "q": q, "o": o, "n": n} for (s, q, o), n in sorted(self.outcomes.items())],
        )


_REQUESTS = (
    "INSERT INTO {quarterly_requests} VALUES (:s, :q, :partner, :theme, :channel, :mission, :n) "
    "ON CONFLICT (structure_id, quarter, partner, theme, channel, mission) "
    "DO UPDATE SET requests = {quarterly_requests}.requests + excluded.requests"
)
_OUTCOMES = (
    "INSERT INTO {quarterly_outcomes} VALUES (:s, :q, :o, :n) "
    "ON CONFLICT (structure_id, quarter, outcome) "
    "DO UPDATE SET resolutions = {quarterly_outcomes}.resolutions + excluded.resolutions"
)


def _registered(batch: _Batch, state: State) -> None:
    structure = state["originator_id"]
    batch.new_structures.append({"s": structure, "d": state["department"]})
    batch.zones[structure] = time_zone_of(state["department"])


def _at(state: State, field: str = "at") -> datetime:
    found = instant(state[field])
    assert found is not None
    return found


def _opened(batch: _Batch, state: State) -> None:
    structure = uuid_hex(state["structure_id"]) or ""
    quarter = batch.quarter(structure, _at(state, "received_at"))
    batch.add_case(state["originator_id"], structure, quarter, instant_text(state["due_at"]))
    channel = state["channel"]
    batch.bump(
        structure,
        quarter,
        requests=1,
        visits=int(channel == "counter"),
        distinct_users=int(bool(state["new_visitor"])),
    )
    batch.requests[
        (structure, quarter, state["partner"], state["theme"], channel, state["mission"])
    ] += 1


def _responded(batch: _Batch, state: State) -> None:
    aggregate = state["originator_id"]
    case = batch.cases[aggregate]
    structure, quarter, due, answered = case
    if answered:
        return
    case[3] = 1
    batch.answered.add(aggregate)
    due_at = from_iso(due)
    if due_at is not None and quarter is not None:
        on_time = _at(state) <= due_at
        batch.bump(
            structure, quarter, answered_on_time=int(on_time), answered_late=int(not on_time)
        )


def _resolved(batch: _Batch, state: State) -> None:
    structure = batch.cases[state["originator_id"]][0]
    batch.outcomes[(structure, batch.quarter(structure, _at(state)), state["outcome"])] += 1


def _signed(batch: _Batch, state: State) -> None:
    structure = uuid_hex(state["structure_id"]) or ""
    batch.add_case(state["originator_id"], structure, None, None)
    batch.bump(structure, batch.quarter(structure, _at(state, "timestamp")), mandates_signed=1)


def _revoked(batch: _Batch, state: State) -> None:
    structure = batch.cases[state["originator_id"]][0]
    batch.bump(structure, batch.quarter(structure, _at(state)), mandates_revoked=1)


quarterly.batched(
    _Batch,
    {
        Structure.Registered: _registered,
        Request.Opened: _opened,
        Request.Responded: _responded,
        Request.Resolved: _resolved,
        Mandate.Signed: _signed,
        Mandate.Revoked: _revoked,
    },
)


def open_overdue(tx: Tx, structure_id: str, quarter: str, now: datetime) -> int:
    """The quarter's requests still unanswered past their deadline at ``now`` (from ``sla``)."""
    department = tx.one(
        "SELECT department FROM {sla_structures} WHERE structure_id = :s", {"s": structure_id}
    )
    if department is None:
        return 0
    start, end = quarter_bounds(quarter, time_zone_of(str(department[0])))
    row = tx.one(
        "SELECT COUNT(*) FROM {sla} WHERE structure_id = :s AND received_at >= :start "
        "AND received_at < :end AND due_at IS NOT NULL AND first_response_at IS NULL "
        "AND due_at <= :now",
        {"s": structure_id, "start": iso(start), "end": iso(end), "now": iso(now)},
    )
    return int(row[0]) if row else 0


def report(tx: Tx, structure_id: str, quarter: str, now: datetime) -> dict[str, Any]:
    """One structure's quarter: totals, on-time rate at ``now``, requests by dimension,
    outcomes."""
    params = {"s": structure_id, "q": quarter}
    row = tx.one(
        f"SELECT {', '.join(COUNTERS)} FROM {{quarterly}} WHERE structure_id = :s AND quarter = :q",
        params,
    )
    totals = dict(zip(COUNTERS, row or (0,) * len(COUNTERS), strict=True))
    overdue = open_overdue(tx, structure_id, quarter, now)
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
        "open_overdue": overdue,
        "sla_on_time_rate": on_time_rate(
            totals["answered_on_time"], totals["answered_late"], overdue
        ),
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
        f"SELECT {code_of('q.structure_id')}, quarter, {', '.join(DIMENSIONS)}, requests FROM "
        f"{{quarterly_requests}} q WHERE {where} ORDER BY {order} LIMIT :n OFFSET :o",
        {"q": quarter, "s": structure_id, "n": page, "o": offset},
    ):
        yield from (list(r) for r in rows)
        offset += page
