"""The performance report: every figure beside its reference and its target, measured in one run.

Not a test. ``bench/run`` (``python -m bench.suite``) measures, on each backend:

- the API against the naive peer (``bench.peer``): commands/s under 16 clients in a closed
  loop, then p50/p99 in an open loop at 80 % of that rate; the API worker's memory after it;
- two data sets built with the project's own generator (``bench.projections.load``): a
  department (200k requests) and a national year (1 M requests, about 1.7 M events): the bare
  read of the log, its read + decode, each view rebuilt from zero (one process for all, then one
  process per view side by side), the rebuild's peak memory, and dashboard and audit-trail
  queries p50/p95;
- the scheduler (``bench.scheduler``): a tick at 100k open deadlines, and the retention job's
  destructions against bare ``destroy_envelope`` calls.

It writes the table between the markers of docs/performance.md and the figures as JSON in
docs/performance.json. ``--scale`` divides every size (``--scale 100`` for a quick try).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench import api, scheduler
from bench.commands import analyze, store
from bench.projections import ACTOR, START, dashboard_latency, register_structures
from domain.structure import Structure, structure_uuid
from projections import ALL, VIEW_TABLES, audit
from runtime.asgi import build_app
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger, open_runner, open_view_db
from store.tokens import TokenStore
from tests import builders
from tests.projections.bulk import bulk_requests

DOCS = Path(__file__).resolve().parent.parent / "docs"
BEGIN, END = "<!-- bench/run: begin -->", "<!-- bench/run: end -->"
# Views that read most events (the requests') and are held to the library's read + decode,
# though they build their rows from the stored values (``parses``); the others read only the
# stored bytes (``integrity``) or their few own event types, and are held to the bare read.
DECODING_VIEWS = ("sla", "audit_trail", "quarterly", "retention")
# A one pass's shared seconds (``ProjectionRunner.rebuild_all``), beside each view's own.
SHARED = ("read + decode", "parse")


@dataclass
class Row:
    section: str
    measure: str
    backend: str
    value: float
    unit: str
    reference: str = ""
    reference_value: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if not self.reference_value:
            return None
        return round(self.value / self.reference_value, 2)


def env_of(settings: Settings) -> dict[str, str]:
    env = os.environ | {"LEDGER_DATABASE_URL": settings.database_url}
    for name, secret in (
        ("LEDGER_SUBJECT_SECRET", settings.subject_secret),
        ("LEDGER_MASTER_KEY", settings.master_key),
    ):
        if secret is not None:
            env[name] = secret.get_secret_value()
    return env


def child(settings: Settings, *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.rebuild", *argv], env=env_of(settings), stdout=subprocess.PIPE
    )


def result_of(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"bench.rebuild failed ({process.returncode})")
    found: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return found


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return round(cuts[49], 2), round(cuts[94], 2)


def audit_latency(settings: Settings, samples: int = 200) -> tuple[float, float]:
    """One request's audit trail (the DPO's page), random requests."""
    runner, parts = open_runner(settings, ["audit_trail"])
    rng = random.Random(11)
    try:
        with runner.db.reading(VIEW_TABLES) as tx:
            ids = [r[0] for r in tx.all("SELECT DISTINCT request_id FROM audit_trail LIMIT 5000")]
        ids = [i for i in ids if i]
        timings = []
        for _ in range(samples):
            chosen = rng.choice(ids)
            with runner.db.reading(VIEW_TABLES) as tx:
                started = time.perf_counter()
                list(audit.entries(tx, request_id=chosen))
                timings.append((time.perf_counter() - started) * 1000)
        return quantiles(timings)
    finally:
        runner.db.close()
        parts.close()


def _grow_part(settings: Settings, codes: list[str], per_structure: int, start: datetime) -> int:
    ledger = open_ledger(settings)
    try:
        return sum(
            bulk_requests(ledger, code, per_structure, start=start, actor=ACTOR, chunk=1000)
            for code in codes
        )
    finally:
        ledger.close()


def grow(settings: Settings, structures: list[Structure], before: int, after: int) -> int:
    """Adds requests ``before`` to ``after`` (spread over the structures, each continuing its
    own calendar) with the project's generator, in two processes (half of the structures
    each: this machine has two cores); returns the events added."""
    per_structure = (after - before) // len(structures)
    start = START + timedelta(minutes=7 * (before // len(structures)))
    codes = [structure.code for structure in structures]
    halves = [codes[0::2], codes[1::2]]
    with multiprocessing.get_context("spawn").Pool(len(halves)) as pool:
        counts = pool.starmap(_grow_part, [(settings, h, per_structure, start) for h in halves])
    return sum(counts)


# Each console page beside the API call that reads the same view, by role: (name, API call,
# console page); a call is "GET path" or "POST path" with a body (JSON for the API, a form for
# the console). {id} is a random request, {mandate} a random mandate of the sample person.
PERSON = {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1950-02-03"}
PAGES: dict[str, list[tuple[str, str | None, str]]] = {
    "adviser": [
        ("worklist", "GET /v1/requests?structure_id=s00&limit=50", "GET /console/demandes"),
        ("case", "GET /v1/requests/{id}", "GET /console/demandes/{id}"),
        ("person search", "POST /v1/subjects/search", "POST /console/personnes"),
        ("mandate", "GET /v1/mandates/{mandate}", "GET /console/mandats/{mandate}"),
        ("new request form", None, "GET /console/demandes/nouvelle"),
        ("new mandate form", None, "GET /console/mandats/nouveau"),
    ],
    "supervisor": [
        ("dashboard", "GET /v1/dashboards/sla?structure_id=s00", "GET /console/tableau-de-bord"),
        ("case with its timeline", "GET /v1/requests/{id}/history", "GET /console/demandes/{id}"),
        (
            "quarterly report",
            "GET /v1/reports/quarterly?structure_id=s00&quarter=2025-Q1",
            "GET /console/rapport?trimestre=2025-Q1",
        ),
    ],
    "dpo": [
        (
            "audit trail of a request",
            "GET /v1/audit/events?request_id={id}",
            "GET /console/audit?demande={id}",
        ),
        ("breach register", "GET /v1/breaches/register", "GET /console/violations"),
        ("destruction queue", "GET /v1/envelopes/due", "GET /console/destructions"),
        ("integrity", "GET /v1/audit/integrity", "GET /console/integrite"),
        ("alerts", "GET /v1/alerts", "GET /console/alertes"),
        ("subject access", "POST /v1/subjects/search", "POST /console/acces"),
        (
            "case as the DPO reads it",
            "GET /v1/audit/events?request_id={id}",
            "GET /console/acces/demandes/{id}",
        ),
    ],
    "admin": [
        ("structures", "GET /v1/structures/s00", "GET /console/structures"),
        ("tokens", None, "GET /console/jetons"),
    ],
}
CONSOLE_PAGES = [name for checks in PAGES.values() for name, _, _ in checks]


def sample_person(settings: Settings, now: datetime) -> list[str]:
    """Three cases and three mandates of one person at s00, and a breach, through the Ledger's
    commands (the bulk requests name no one a search can find); the mandates' ids."""
    ledger = open_ledger(settings)
    try:
        for _ in range(3):
            builders.open_request(
                ledger, "s00", user=PERSON, received_at=now - timedelta(hours=1), now=now
            )
        builders.declare_breach(ledger, aware_at=now - timedelta(hours=2), now=now)
        verified = {"document_type": "id_card", "verified_at": now}
        return [
            builders.sign_mandate(
                ledger,
                "s00",
                mandant=PERSON,
                identity_verification=verified,
                valid_until=now + timedelta(days=300),
                now=now,
            ).id.hex
            for _ in range(3)
        ]
    finally:
        ledger.close()


def console_latency(settings: Settings, samples: int = 40) -> dict[str, tuple[float, float]]:
    """Each console page (``PAGES``) and the API call that reads the same view, in one process:
    p50 and p95 in ms (a page also renders HTML and records the reads it shows), after one
    untimed call of each (its templates compiled, its structure's calendar built), on a store
    analyzed as autovacuum keeps it (``commands.analyze``)."""
    analyze(settings)
    now = datetime.now(UTC)
    mandates = sample_person(settings, now)
    views = open_view_db(settings)
    tokens = TokenStore(views)
    suffix = secrets.token_hex(3)
    made = {
        role: tokens.create(f"bench-{role}-{suffix}", role, ["s00"] if role in SCOPED else [], now)
        for role in PAGES
    }
    made["search"] = tokens.create(f"bench-search-{suffix}", "dpo", [], now)
    views.close()
    app = build_app(settings, embedded_projections=False, embedded_scheduler=False)
    found: dict[str, tuple[float, float]] = {}
    with TestClient(app) as client:
        with runner_reading(settings) as tx:
            request_ids = [  # s00's: the adviser and the supervisor work there
                r[0]
                for r in tx.all(
                    "SELECT request_id FROM {sla} WHERE structure_id = :s LIMIT 200",
                    {"s": structure_uuid("s00").hex},
                )
            ]
        rng = random.Random(5)
        for role, checks in PAGES.items():
            client.cookies.clear()
            form = client.get("/console/connexion").text
            csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            client.post("/console/connexion", data={"jeton": made[role], "csrf": csrf})
            csrf = client.get(HOME[role]).text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            for name, api_call, console_call in checks:
                for label, call in (("API", api_call), ("console", console_call)):
                    if call is None:
                        continue
                    method, path = call.split(" ", 1)
                    # the API's subject search is the DPO's: the adviser's page is timed beside it
                    bearer = made["search" if "/subjects/" in path else role]
                    headers = {"Authorization": f"Bearer {bearer}"} if label == "API" else {}
                    body: dict[str, Any] = {}
                    if method == "POST":
                        body = (
                            {"json": PERSON}
                            if label == "API"
                            else {"data": PERSON | {"csrf": csrf}}
                        )
                    timings = []
                    for sample in range(samples + 1):  # the first, untimed, warms up
                        target = path.format(
                            id=rng.choice(request_ids), mandate=rng.choice(mandates)
                        )
                        started = time.perf_counter()
                        answer = client.request(method, target, headers=headers, **body)
                        if sample:
                            timings.append((time.perf_counter() - started) * 1000)
                        if answer.status_code != 200:
                            raise SystemExit(f"{method} {target}: {answer.status_code}")
                    found[f"{name} ({label})"] = quantiles(timings)
    return found


SCOPED = ("adviser", "supervisor")
HOME = {
    "adviser": "/console/personnes",
    "supervisor": "/console/demandes",
    "dpo": "/console/acces",
    "admin": "/console/jetons",
}


def page_rows(section: str, backend: str, pages: dict[str, tuple[float, float]]) -> list[Row]:
    """Each console page's p50 and p95 beside its API call (``console_latency``)."""
    rows = []
    for name in CONSOLE_PAGES:
        api_p50, api_p95 = pages.get(f"{name} (API)", (None, None))
        page_p50, page_p95 = pages[f"{name} (console)"]
        reference = "API call" if api_p50 is not None else ""
        rows.append(
            Row(section, f"console page {name} p50", backend, page_p50, "ms", reference, api_p50)
        )
        row = Row(section, f"console page {name} p95", backend, page_p95, "ms", reference, api_p95)
        row.target, row.met = "< 100 ms", page_p95 < 100
        rows.append(row)
    return rows


@contextmanager
def runner_reading(settings: Settings) -> Iterator[Any]:
    views = open_view_db(settings)
    try:
        with views.reading(VIEW_TABLES) as tx:
            yield tx
    finally:
        views.close()


def shares(spent: dict[str, float], count: int) -> list[list[str]]:
    """The views in ``count`` groups of about the same work (by their seconds in the one pass,
    largest first, each to the group with the least so far)."""
    groups: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for name in sorted(spent, key=lambda n: -spent[n]):
        least = loads.index(min(loads))
        groups[least].append(name)
        loads[least] += spent[name]
    return [group for group in groups if group]


def rebuild_rows(section: str, backend: str, sequential: dict[str, Any]) -> list[Row]:
    """The references and each view's rebuild rate from a one pass's figures (``bench.rebuild
    --references``). A view's rate: its events over the part of the pass it shares plus its
    own seconds in the pass. The shared part of a view of ``DECODING_VIEWS``: the pass's read
    (with the decode of the few events the decoding views read) plus its shared parse of the
    stored values (``parses``), or the pass's read + decode for one that decodes; of the
    others, which read only some topics or only bytes, the bare read. The views of
    ``DECODING_VIEWS`` are set against read + decode, the others against the bare read."""
    events, spent = sequential["events"], sequential["one_pass_spent_s"]
    bare = events / sequential["bare_read_s"]
    decode = events / sequential["read_decode_s"]
    rows = [
        Row(section, "bare read of the log", backend, round(bare), "events/s"),
        Row(section, "read + decode", backend, round(decode), "events/s", "bare read", round(bare)),
    ]
    parsers = {projection.name for projection in ALL if projection.parses}
    for name in (name for name in spent if name not in SHARED):
        decoding = name in DECODING_VIEWS
        shared = sequential["bare_read_s"]
        if decoding:
            shared = spent["read + decode"] + (spent["parse"] if name in parsers else 0.0)
        rate = round(events / (shared + spent[name]))
        reference, value = ("read + decode", decode) if decoding else ("bare read", bare)
        row = Row(section, f"rebuild `{name}`", backend, rate, "events/s", reference, round(value))
        row.target, row.met = "≥ 0.50", (row.ratio or 0) >= 0.5
        rows.append(row)
    return rows


def views_section(
    settings: Settings, requests: int, events: int, label: str, full: bool, per_view: bool
) -> tuple[list[Row], dict[str, Any]]:
    """Each view rebuilt from zero in one process beside the log's bare read and read + decode,
    the dashboard and audit-trail reads; with ``full`` (the national year only), also every view
    rebuilt in processes side by side (one per core, each a one pass over its share of the
    views; with ``per_view``, one per view) and the console pages."""
    rows: list[Row] = []
    backend = settings.backend
    clock = time.perf_counter()
    sequential = result_of(child(settings, "--references"))
    sequential["child_s"] = round(time.perf_counter() - clock, 1)
    spent = sequential["one_pass_spent_s"]
    names = [name for name in spent if name not in SHARED]
    parallel: list[dict[str, Any]] = []
    parallel_s = 0.0
    cores = min(os.cpu_count() or 2, len(names))
    if full:
        parallel_started = time.perf_counter()
        if per_view:
            processes = [child(settings, name) for name in names]
        else:
            own = {name: spent[name] for name in names}
            processes = [child(settings, "--one-pass", *group) for group in shares(own, cores)]
        parallel = [result_of(p) for p in processes]
        parallel_s = time.perf_counter() - parallel_started
    runner, parts = open_runner(settings, ["sla"])
    dashboard = dashboard_latency(runner)
    runner.db.close()
    parts.close()
    audit_p50, audit_p95 = audit_latency(settings)
    clock = time.perf_counter()
    pages = console_latency(settings) if full else {}
    pages_s = round(time.perf_counter() - clock, 1)
    events = sequential["events"]
    section = f"views, {label} ({requests:,} requests, {events:,} events)"
    rows += rebuild_rows(section, backend, sequential)
    sequential_s = sequential["one_pass_s"]
    rows.append(Row(section, "all views, one process", backend, round(sequential_s, 1), "s"))
    if full:
        rows.append(
            Row(
                section,
                "all views, one process per view"
                if per_view
                else f"all views, one process per core ({cores}), views shared out",
                backend,
                round(parallel_s, 1),
                "s",
                "one process",
                round(sequential_s, 1),
            )
        )
    rows.append(Row(section, "rebuild peak RSS", backend, sequential["peak_rss_mb"], "MB"))
    rows.append(
        Row(section, "dashboard p50", backend, dashboard["dashboard_p50_ms"], "ms", target="")
    )
    rows.append(Row(section, "dashboard p95", backend, dashboard["dashboard_p95_ms"], "ms"))
    rows.append(Row(section, "audit trail of a request p50", backend, audit_p50, "ms"))
    rows.append(Row(section, "audit trail of a request p95", backend, audit_p95, "ms"))
    if full:
        rows += page_rows(section, backend, pages)
    raw = {
        "events": events,
        "sequential": sequential,
        "parallel": parallel,
        "parallel_s": round(parallel_s, 1),
        "dashboard": dashboard,
        "audit_ms": [audit_p50, audit_p95],
        "pages_ms": pages,
        "pages_s": pages_s,
    }
    return rows, raw


def views_sections(
    backend: str, sizes: list[tuple[str, int]], per_view: bool
) -> tuple[list[Row], Any]:
    """One store grown to each size in turn (the department's requests are the first of the
    national year's), every view measured at each."""
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    with store(backend) as settings:
        migrate(settings)
        ledger = open_ledger(settings)
        structures = register_structures(ledger)
        ledger.close()
        loaded, events = 0, 0
        for label, requests in sizes:
            started = time.perf_counter()
            events += grow(settings, structures, loaded, requests)
            grown = time.perf_counter()
            loaded = requests
            full = requests == sizes[-1][1]
            found_rows, found = views_section(settings, requests, events, label, full, per_view)
            found["grow_s"] = round(grown - started, 1)
            found["load_s"] = round(time.perf_counter() - started, 1)
            rows += found_rows
            raw[label] = found
    return rows, raw


def pages_section(backend: str, requests: int) -> tuple[list[Row], Any]:
    """The console's pages beside their API calls on a national year, without the rebuild
    measurements (``--pages-only``): the store is grown, its views rebuilt, then read."""
    with store(backend) as settings:
        migrate(settings)
        ledger = open_ledger(settings)
        structures = register_structures(ledger)
        ledger.close()
        events = grow(settings, structures, 0, requests)
        runner, parts = open_runner(settings)
        started = time.perf_counter()
        runner.rebuild_all()  # from zero in one pass, no index until the end
        caught_up = time.perf_counter() - started
        runner.db.close()
        parts.close()
        pages = console_latency(settings)
    section = f"views, national year ({requests:,} requests, {events:,} events)"
    rows = page_rows(section, backend, pages)
    return rows, {"events": events, "views_caught_up_s": round(caught_up, 1), "pages_ms": pages}


def merged(rows: list[Row]) -> list[Row]:
    """This run's rows, and the last report's rows this run did not measure again."""
    path = DOCS / "performance.json"
    if not path.exists():
        return rows
    measured = {(r.section, r.measure, r.backend) for r in rows}
    kept = []
    for old in json.loads(path.read_text())["rows"]:
        old.pop("ratio", None)
        row = Row(**old)
        if (row.section, row.measure, row.backend) not in measured:
            kept.append(row)
    return kept + rows


def api_section(
    backend: str, n: int, clients: int, workers: int, memory: int
) -> tuple[list[Row], Any]:
    found = api.bench_vs_peer(backend, n, clients, workers, memory)
    ours, peer = found["ledger"], found["peer"]
    section = f"API, {clients} clients, {workers} workers"
    rows = []
    for command in ("open", "respond"):
        closed = f"{command} closed-loop"
        row = Row(
            section,
            f"{command}: commands/s (closed loop)",
            backend,
            ours[closed]["commands_per_s"],
            "1/s",
            "naive peer",
            peer[closed]["commands_per_s"],
            "≥ 1.00",
        )
        row.met = (row.ratio or 0) >= 1.0
        rows.append(row)
        opened = f"{command} open-loop at 80 %"
        for cut in ("p50", "p99"):
            row = Row(
                section,
                f"{command}: {cut} at 80 % of max (open loop)",
                backend,
                ours[opened][f"{cut}_ms"],
                "ms",
                "naive peer at 80 % of its max",
                peer[opened][f"{cut}_ms"],
            )
            if cut == "p99":
                row.target, row.met = "< 50 ms", row.value < 50
            rows.append(row)
    rss = found.get("ledger_worker_rss_mb")
    if rss is not None:
        commands = found["ledger_commands"]
        row = Row(section, f"API worker RSS after {commands:,} commands", backend, rss, "MB")
        row.target, row.met = "< 300 MB", rss < 300
        rows.append(row)
    return rows, found


def scheduler_section(backend: str, open_count: int, due: int) -> tuple[list[Row], Any]:
    with store(backend) as settings:
        found = scheduler.bench(settings, open_count, due, max(due // 25, 10))
    section = f"scheduler ({open_count:,} open deadlines, {due:,} due destructions)"
    tick = Row(
        section,
        "tick of every job, nothing due",
        backend,
        found["tick_nothing_due_ms_median"],
        "ms",
        "bare read of the SLA candidates",
        found["bare_read_of_the_sla_candidates_ms_median"],
        "< 1000 ms",
    )
    tick.met = tick.value < 1000
    destroy = Row(
        section,
        "retention job destructions",
        backend,
        found["retention_job_destroy_per_s"],
        "1/s",
        "bare destroy_envelope calls",
        found["direct_destroy_envelope_per_s"],
        "≥ 0.50",
    )
    destroy.met = (destroy.ratio or 0) >= 0.5
    return [tick, destroy], found


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def table(rows: list[Row], started: datetime, took: float, scale: int) -> str:
    lines = [
        BEGIN,
        "",
        f"Measured by `bench/run` on {started:%Y-%m-%d %H:%M} UTC in {took / 60:.1f} min"
        + (f" (sizes divided by {scale})" if scale > 1 else "")
        + "; every ratio is taken within this run. Raw figures: docs/performance.json.",
        "",
    ]
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            lines += [
                "",
                f"**{section}**",
                "",
                "| measure | backend | value | reference | ratio | target | met |",
                "| --- | --- | ---: | --- | ---: | --- | --- |",
            ]
        reference = (
            f"{row.reference} {_number(row.reference_value)}"
            if row.reference and row.reference_value is not None
            else ""
        )
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(
            f"| {row.measure} | {row.backend} | {_number(row.value)} {row.unit} | {reference} | "
            f"{ratio} | {row.target} | {met} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def write(
    rows: list[Row],
    raw: dict[str, Any],
    started: datetime,
    took: float,
    scale: int,
    *,
    partial: bool = False,
) -> None:
    path = DOCS / "performance.md"
    text = path.read_text()
    payload: dict[str, Any] = {
        "measured_at": started.isoformat(),
        "minutes": round(took / 60, 1),
        "scale": scale,
    }
    if partial:  # the full run's date and time stay; the pages' own run is named beside them
        previous = json.loads((DOCS / "performance.json").read_text())
        payload = {k: previous[k] for k in ("measured_at", "minutes", "scale")} | {
            "pages_measured_at": started.isoformat(),
            "pages_minutes": round(took / 60, 1),
        }
        started = datetime.fromisoformat(previous["measured_at"])
        took, scale = previous["minutes"] * 60, previous["scale"]
    section = table(rows, started, took, scale)
    if partial:
        section = section.replace(
            "; every ratio",
            f"; the console pages by `bench/run --pages-only` on "
            f"{payload['pages_measured_at'][:16].replace('T', ' ')} UTC"
            f" ({payload['pages_minutes']} min); every ratio",
        )
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n## The report of `bench/run`\n\n" + section + "\n"
    path.write_text(text)
    payload |= {"rows": [asdict(r) | {"ratio": r.ratio} for r in rows], "raw": raw}
    (DOCS / "performance.json").write_text(json.dumps(payload, indent=1, default=str) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--scale", type=int, default=1, help="divide every size by this")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--skip", default="", help="sections to skip: api,views,scheduler")
    parser.add_argument(
        "--per-view",
        action="store_true",
        help="rebuild the national year's views side by side one process per view (slower on "
        "two cores) instead of one process per core",
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="only the console pages at a national year, merged into the last report",
    )
    args = parser.parse_args()
    started, clock = datetime.now(UTC), time.perf_counter()
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    skip = set(filter(None, args.skip.split(",")))
    if args.pages_only:
        skip |= {"api", "views", "scheduler"}
    plan: list[tuple[str, str, Callable[[], tuple[list[Row], Any]]]] = []
    for backend in args.backends.split(","):
        if args.pages_only:
            national = max(1_000_000 // args.scale, 100)
            plan.append(("pages", backend, lambda b=backend, n=national: pages_section(b, n)))
        if "api" not in skip:
            plan.append(
                (
                    "api",
                    backend,
                    lambda b=backend: api_section(
                        b,
                        max(3000 // args.scale, 200),
                        args.clients,
                        args.workers,
                        max(100_000 // args.scale - 4 * max(3000 // args.scale, 200), 0),
                    ),
                )
            )
        if "views" not in skip:
            sizes = [
                (label, max(size // args.scale, 100))
                for label, size in (("department", 200_000), ("national year", 1_000_000))
            ]
            plan.append(
                (
                    "views",
                    backend,
                    lambda b=backend, z=sizes: views_sections(b, z, args.per_view),
                )
            )
        if "scheduler" not in skip:
            plan.append(
                (
                    "scheduler",
                    backend,
                    lambda b=backend: scheduler_section(
                        b, max(100_000 // args.scale, 100), max(10_000 // args.scale, 20)
                    ),
                )
            )
    for name, backend, run in plan:
        began = time.perf_counter()
        found_rows, found = run()
        rows += found_rows
        took = time.perf_counter() - began
        raw[f"{name} {backend}"] = found | {"section_s": round(took, 1)}
        print(f"{name} {backend}: {took:.0f} s", flush=True)
    if args.pages_only:
        rows = merged(rows)
    order = ["API", "views, department", "views, national", "scheduler"]
    rows.sort(key=lambda r: next(i for i, o in enumerate(order) if r.section.startswith(o)))
    if args.pages_only:
        previous = json.loads((DOCS / "performance.json").read_text())
        raw = previous.get("raw", {}) | {f"{k} (pages only)": v for k, v in raw.items()}
    write(rows, raw, started, time.perf_counter() - clock, args.scale, partial=args.pages_only)
    print(f"done in {(time.perf_counter() - clock) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
