"""Rebuilds views from zero in a process of its own and prints what it took, as JSON.

Not a test. ``python -m bench.rebuild [--references] [VIEW ...]`` on the store named by the
environment (``LEDGER_DATABASE_URL``): with ``--references``, first the bare read of the whole
log (pages of 500, no decoding) and its read + decode with the library's decoder (the
reference), then every view rebuilt from zero in one pass (``ProjectionRunner.rebuild_all``:
each page read and decoded once, the time of each view's own work kept apart); with
``--one-pass``, the views named rebuilt in one pass (one process per core, each with its share
of the views, gives the parallel wall time in ``bench.suite``); with neither, each view named
rebuilt on its own (``bench/run --per-view``: one process per view). Last, the process's peak
resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable
from typing import Any

from bench.projections import read_all
from runtime.settings import Settings
from runtime.wiring import open_runner
from store.open import transcoder
from store.sealing import SealingMapper


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("views", nargs="*")
    parser.add_argument("--references", action="store_true")
    parser.add_argument("--one-pass", action="store_true")
    args = parser.parse_args()
    runner, parts = open_runner(Settings(), args.views or None)
    found: dict[str, Any] = {"events": runner.head()}
    if args.references:
        found["bare_read_s"] = seconds(lambda: read_all(runner.read, None))
        library = SealingMapper(transcoder(library=True), keys=None)
        found["read_decode_s"] = seconds(lambda: read_all(runner.read, library.to_domain_event))
        spent: dict[str, float] = {}
        found["one_pass_s"] = seconds(lambda: runner.rebuild_all(spent=spent))
        found["one_pass_spent_s"] = {name: round(value, 3) for name, value in spent.items()}
    elif args.one_pass:
        found["one_pass_s"] = seconds(lambda: runner.rebuild_all())
    else:
        found["rebuild_s"] = {
            name: seconds(lambda n=name: runner.rebuild(n)) for name in runner.projections
        }
    found["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    runner.db.close()
    parts.close()
    print(json.dumps(found))


if __name__ == "__main__":
    main()
