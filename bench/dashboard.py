"""SLA dashboard latency at N requests: the ``sla`` view filled directly, then queried.

Not a test. ``python -m bench.dashboard --requests 1000000``: 20 structures registered through the
Ledger and projected; then N rows written straight into the view (deadlines and working hours
from the real calendar, two thirds answered), ANALYZE, and 200 dashboard queries for a random
structure and quarter. Loading through events is what ``bench.projections`` measures.
"""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import timedelta
from typing import Any

from bench.commands import store
from bench.projections import START, STRUCTURES, dashboard_latency, register_structures
from projections.db import hex_id, iso
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger, open_runner

CHANNELS = ("email", "contact_form", "email", "counter")
PARTNERS = ("caf", "cpam", "dgfip", "france_travail")
INSERT = (
    "INSERT INTO {sla} (request_id, structure_id, partner, channel, mission, theme, received_at, "
    "due_at, due_soon_at, first_response_at, hours_to_first_response, status) VALUES (:r, :s, :p, "
    ":c, 'information', 'bulk', :received, :due, :soon, :first, :hours, :status)"
)


def fill(settings: Settings, requests: int) -> dict[str, Any]:
    migrate(settings)
    ledger = open_ledger(settings)
    structures = register_structures(ledger)
    ledger.close()
    runner, reader = open_runner(settings, ["sla"])
    runner.run_until_idle()
    rows = []
    for i in range(requests):
        structure = structures[i % STRUCTURES]
        received = START + timedelta(minutes=7 * (i // STRUCTURES))
        channel = CHANNELS[i % len(CHANNELS)]
        due = soon = first = hours = None
        if channel != "counter":
            due = structure.calendar.deadline(received, 72)
            soon = structure.calendar.rewind(due, 24)
        if i % 3:
            first = received + timedelta(hours=i % 90)
            hours = structure.calendar.working_time_between(received, first).total_seconds() / 3600
        rows.append(
            {
                "r": uuid.uuid4().hex,
                "s": hex_id(structure.id),
                "p": PARTNERS[i % 4],
                "c": channel,
                "received": iso(received),
                "due": iso(due),
                "soon": iso(soon),
                "first": iso(first),
                "hours": hours,
                "status": "answered" if first else "open",
            }
        )
        if len(rows) == 20_000 or i == requests - 1:
            with runner.db.transaction({"sla": "sla"}) as tx:
                tx.many(INSERT, rows)
            rows = []
    if settings.backend == "postgres":
        runner.db.connection.execute("VACUUM ANALYZE sla")  # what autovacuum does in service
    else:
        with runner.db.transaction() as tx:
            tx.run("ANALYZE")
    result = {"backend": settings.backend, "requests": requests, **dashboard_latency(runner)}
    runner.db.close()
    reader.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with store(backend) as settings:
            print(json.dumps(fill(settings, args.requests)), flush=True)


if __name__ == "__main__":
    main()
