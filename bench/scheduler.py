"""One scheduler tick, against the bare SQL read of the same rows in the same run (issue 10).

Not a test. ``python -m bench.scheduler [--open 100000] [--due 10000] [--backends ...]`` loads
``--open`` unanswered e-mail requests whose deadlines are all ahead, then times a tick of every
job with nothing due, next to the bare read of the SLA candidates (the same rows, no Python).
Then it resolves cases due for destruction: ``--direct`` of them destroyed by calling
``destroy_envelope`` one by one (the reference rate), then ``--due`` more destroyed by one tick of
the retention job; it prints both rates and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import timedelta
from typing import Any

from bench.commands import ADVISER, NOW, TIMETABLE, store
from domain.actor import SYSTEM
from projections import VIEW_TABLES
from projections.db import iso
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger, open_runner, open_view_db
from scheduler.cnil import CnilJob
from scheduler.jobs import Context, Notice
from scheduler.mandates import MandateJob
from scheduler.retention import RetentionJob
from scheduler.sla import CANDIDATES, LONGEST_BREAK, SlaJob
from tests.projections.bulk import bulk_cases


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def ignore(_: Notice) -> None:
    pass


def bench(settings: Settings, open_count: int, due_count: int, direct_count: int) -> dict[str, Any]:
    migrate(settings)
    ledger = open_ledger(settings)
    ledger.structures.register_structure(
        code="bench", name="Bench", department="82", timetable=TIMETABLE, actor=ADVISER, now=NOW
    )
    runner, reader = open_runner(settings)
    views = open_view_db(settings)
    context = Context(ledger, lambda: views.reading(VIEW_TABLES), ignore)
    now = NOW + timedelta(hours=1)
    bulk_cases(
        ledger, "bench", open_count, received=now, resolved=False, actor=ADVISER
    )  # due in 72 working hours
    runner.run_until_idle()
    jobs = [SlaJob(context), CnilJob(context), MandateJob(context), RetentionJob(context)]
    ticks = [timed(lambda: [job.tick(now) for job in jobs]) for _ in range(5)]
    horizon = iso(now + timedelta(hours=24) + LONGEST_BREAK)

    def bare_read() -> None:
        with views.reading(VIEW_TABLES) as tx:
            tx.all(CANDIDATES, {"horizon": horizon})

    reads = [timed(bare_read) for _ in range(5)]
    direct = bulk_cases(ledger, "bench", direct_count, received=NOW, resolved=True, actor=ADVISER)
    scheduled = bulk_cases(ledger, "bench", due_count, received=NOW, resolved=True, actor=ADVISER)
    seconds_direct = timed(
        lambda: [
            ledger.personal_data.destroy_envelope(
                e, reason="procedure_resolved", actor=SYSTEM, now=now
            )
            for e in direct
        ]
    )
    runner.run_until_idle()
    report: list[Any] = []
    seconds_job = timed(lambda: report.append(RetentionJob(context, batch=due_count).tick(now)))
    destroyed = report[0].done.get("destroyed", 0)
    if destroyed != len(scheduled):  # every due envelope, and no other
        raise SystemExit(f"the job destroyed {destroyed} of {len(scheduled)}: {report[0].done}")
    direct_rate, job_rate = len(direct) / seconds_direct, destroyed / seconds_job
    for closing in (views.close, runner.db.close, reader.close, ledger.close):
        closing()
    return {
        "backend": settings.backend,
        "open_deadlines": open_count,
        "tick_nothing_due_ms_median": round(statistics.median(ticks) * 1000, 1),
        "bare_read_of_the_sla_candidates_ms_median": round(statistics.median(reads) * 1000, 1),
        "due_destructions": due_count,
        "direct_destructions": direct_count,
        "direct_destroy_envelope_per_s": round(direct_rate),
        "retention_job_destroy_per_s": round(job_rate),
        "job_vs_direct": round(job_rate / direct_rate, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--direct", type=int, default=1_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with store(backend) as settings:
            print(json.dumps(bench(settings, args.open, args.due, args.direct)), flush=True)


if __name__ == "__main__":
    main()
