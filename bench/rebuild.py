"""Rebuilds views from zero in a process of its own and prints what it took, as JSON.

Not a test. ``python -m bench.rebuild [--references] [VIEW ...]`` on the store named by the
environment (``LEDGER_DATABASE_URL``): with ``--references``, first the bare read of the whole
log (pages of 500, no decoding), its read + decode with the library's decoder (the reference)
and with the views' own (``store.transcodings.FastJSONTranscoder``), then each view
(all when none is named) rebuilt from zero; last, the process's peak resident memory. One
process per view run side by side gives the parallel wall time (``bench.suite``).
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
    args = parser.parse_args()
    runner, parts = open_runner(Settings(), args.views or None)
    found: dict[str, Any] = {"events": runner.head()}
    if args.references:
        found["bare_read_s"] = seconds(lambda: read_all(runner.read, None))
        library = SealingMapper(transcoder(library=True), keys=None)
        found["read_decode_s"] = seconds(lambda: read_all(runner.read, library.to_domain_event))
        found["read_fast_decode_s"] = seconds(
            lambda: read_all(runner.read, runner.mapper.to_domain_event)
        )
    found["rebuild_s"] = {
        name: seconds(lambda n=name: runner.rebuild(n)) for name in runner.projections
    }
    found["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    runner.db.close()
    parts.close()
    print(json.dumps(found))


if __name__ == "__main__":
    main()
