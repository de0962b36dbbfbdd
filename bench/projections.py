"""View rebuild rate against the bare notification-log read rate, and SLA dashboard latency.

Not a test. ``python -m bench.projections --requests 100000 [--backends sqlite,postgres]``
loads requests in bulk saves across 20 structures (two thirds answered), then in one run
measures: the bare read of the whole log (pages of 500), the read and decode, each view's
rebuild from zero, and the latency of dashboard queries (random structure and quarter).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from application.ledger import Ledger
from bench.commands import TIMETABLE, store
from domain.actor import Actor
from domain.structure import Structure
from projections.sla_queries import dashboard
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger, open_runner
from tests.projections.bulk import bulk_requests

START = datetime(2025, 1, 6, 8, tzinfo=UTC)
ACTOR = Actor("bench", "adviser")
STRUCTURES = 20


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def register_structures(ledger: Ledger) -> list[Structure]:
    return [
        ledger.structures.register_structure(
            code=f"s{s:02d}",
            name=f"S{s}",
            department="82",
            timetable=TIMETABLE,
            actor=ACTOR,
            now=START,
        )
        for s in range(STRUCTURES)
    ]


def load(settings: Settings, requests: int) -> int:
    migrate(settings)
    ledger = open_ledger(settings)
    events = 0
    for structure in register_structures(ledger):
        events += 1 + bulk_requests(
            ledger, structure.code, requests // STRUCTURES, start=START, actor=ACTOR, chunk=1000
        )
    ledger.close()
    return events


def read_all(read: Callable[[int, int], Any], decode: Callable[[Any], Any] | None) -> int:
    position, count = 0, 0
    while page := read(position, 500):
        if decode:
            for notification in page:
                decode(notification)
        count += len(page)
        position = page[-1].id
    return count


def bench(settings: Settings, requests: int) -> dict[str, Any]:
    seconds, events = timed(lambda: load(settings, requests))
    result: dict[str, Any] = {
        "backend": settings.backend,
        "requests": requests,
        "events": events,
        "load_events_per_s": round(events / seconds),
    }
    runner, ledger = open_runner(settings)
    seconds, _ = timed(lambda: read_all(runner.read, None))
    bare = events / seconds
    result["bare_read_events_per_s"] = round(bare)
    seconds, _ = timed(lambda: read_all(runner.read, runner.mapper.to_domain_event))
    result["read_and_decode_events_per_s"] = round(events / seconds)
    for name in runner.projections:
        seconds, _ = timed(lambda name=name: runner.rebuild(name))
        result[f"rebuild_{name}_events_per_s"] = round(events / seconds)
        result[f"rebuild_{name}_vs_bare_read"] = round(events / seconds / bare, 3)
    result |= dashboard_latency(runner)
    runner.db.close()
    ledger.close()
    return result


def dashboard_latency(runner: Any, samples: int = 200) -> dict[str, float]:
    rng = random.Random(7)
    with runner.db.reading({"sla": "sla"}) as tx:
        ids = [
            r[0] for r in tx.all("SELECT structure_id FROM sla_structures ORDER BY structure_id")
        ]
    latencies = []
    for _ in range(samples):
        quarter = START + timedelta(days=91 * rng.randrange(4))
        with runner.db.reading({"sla": "sla"}) as tx:
            seconds, _ = timed(
                lambda q=quarter: dashboard(
                    tx,
                    start=q,
                    end=q + timedelta(days=91),
                    now=q + timedelta(days=100),
                    structure_id=rng.choice(ids),
                )
            )
        latencies.append(seconds * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    return {"dashboard_p50_ms": round(cuts[49], 2), "dashboard_p95_ms": round(cuts[94], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with store(backend) as settings:
            print(json.dumps(bench(settings, args.requests), indent=1), flush=True)


if __name__ == "__main__":
    main()
