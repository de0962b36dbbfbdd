"""Ledger commands/s against eventsourcing's own bare ``save()``, both backends, one run.

Not a test: timings are noisy here, so compare the ratios printed by one run, never absolute
rates across runs. ``python -m bench.commands [--n 2000] [--backends sqlite,postgres]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg.sql import SQL, Identifier

from domain.actor import Actor
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
ADVISER = Actor("bench-adviser", "adviser")
TIMETABLE = [{"weekday": d, "opens": "09:00", "closes": "14:00"} for d in range(1, 6)]


class Counter(Aggregate):
    """The library's simplest aggregate: one event per command."""

    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


class Bare(Application[uuid.UUID]):
    pass


@contextmanager
def store(backend: str) -> Iterator[Settings]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield Settings(database_url=f"sqlite:///{Path(folder) / 'bench.db'}")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        yield Settings(
            database_url=f"{PG_BASE}?schema={schema}",
            subject_secret="bench-secret",
            master_key="bench-master-key-not-for-production",
        )
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def analyze(settings: Settings) -> None:
    """The store's own tables analyzed, as autovacuum keeps them in service: this machine runs
    PostgreSQL with ``autovacuum = off``, so that a bulk-loaded events table would otherwise have
    no statistics and its reads plans made blind (and JIT-compiled). SQLite: nothing to do."""
    if settings.backend != "postgres":
        return
    schema = settings.eventsourcing_env()["POSTGRES_SCHEMA"]
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            conn.execute(SQL("ANALYZE {}.{}").format(Identifier(schema), Identifier(table)))


def bare_env(settings: Settings) -> dict[str, str]:
    env = settings.eventsourcing_env(create_schema=True)
    if settings.backend == "postgres":
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{env["POSTGRES_SCHEMA"]}"')
    return env


def rate(n: int, command: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for i in range(n):
        command(i)
    return n / (time.perf_counter() - started)


def bench_bare_concurrent(settings: Settings, n: int, threads: int) -> float:
    """Saves/s of the bare library when ``threads`` callers save at once (one save each, no
    batching; a connection per thread): what the library itself sustains at that concurrency."""
    app = Bare(env=bare_env(settings.model_copy(update={"postgres_pool_size": threads})))
    counters = [Counter() for _ in range(n)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(app.save, counters):
            pass
    elapsed = time.perf_counter() - started
    app.close()
    return n / elapsed


def bench_bare(settings: Settings, n: int) -> dict[str, float]:
    app = Bare(env=bare_env(settings))
    counters = [Counter() for _ in range(n)]
    results = {"bare save() of a new 1-event aggregate": rate(n, lambda i: app.save(counters[i]))}

    def get_event_save(i: int) -> None:
        counter = app.repository.get(counters[i].id)
        counter.increment()
        app.save(counter)

    results["bare get + event + save()"] = rate(n, get_event_save)
    app.close()
    return results


def bench_ledger(settings: Settings, n: int) -> dict[str, float]:
    migrate(settings)
    ledger = open_ledger(settings)
    ledger.structures.register_structure(
        code="bench", name="Bench", department="82", timetable=TIMETABLE, actor=ADVISER, now=NOW
    )
    requests: list[uuid.UUID] = []
    user = {"first_name": "Camille", "last_name": "Bench"}

    def open_request(_: int) -> None:
        requests.append(
            ledger.requests.open_request(
                structure_code="bench",
                channel="email",
                partner="caf",
                mission="information",
                theme="rsa",
                received_at=NOW,
                user=user,
                actor=ADVISER,
                now=NOW,
            ).id
        )

    results = {"Ledger.open_request (key + sealed save)": rate(n, open_request)}
    at = NOW + timedelta(hours=1)
    results["Ledger.respond (get + sealed event + save)"] = rate(
        n,
        lambda i: ledger.requests.respond(
            requests[i], at=at, summary="answered", actor=ADVISER, now=at
        ),
    )
    mandates: list[uuid.UUID] = []

    def sign_mandate(_: int) -> None:
        mandates.append(
            ledger.mandates.sign_mandate(
                structure_code="bench",
                mandant=user,
                identity_verification={"document_type": "id_card", "verified_at": NOW},
                information_notice_version="v1",
                scopes=[{"partner": "caf", "kinds": ["act_on_behalf"]}],
                valid_until=NOW + timedelta(days=300),
                originals=2,
                signed_document_sha256="c" * 64,
                signed_on_site=True,
                actor=ADVISER,
                now=NOW,
            ).id
        )

    results["Ledger.sign_mandate (key + sealed save)"] = rate(n, sign_mandate)
    results["Ledger.act_on_behalf (2 gets, 2 events, 1 save)"] = rate(
        n,
        lambda i: ledger.requests.act_on_behalf(
            requests[i],
            mandate_id=mandates[i],
            partner="caf",
            scope="act_on_behalf",
            procedure="p",
            at=at,
            actor=ADVISER,
            now=at,
        ),
    )
    ledger.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        with store(backend) as bare_settings:
            bare = bench_bare(bare_settings, args.n)
        with store(backend) as ledger_settings:
            ours = bench_ledger(ledger_settings, args.n)
        baseline = bare["bare save() of a new 1-event aggregate"]
        print(f"\n## {backend} (n={args.n})\n")
        print("| operation | ops/s | vs bare save() |\n|---|---:|---:|")
        for name, value in (bare | ours).items():
            print(f"| {name} | {value:,.0f} | {value / baseline:.2f} |")
        print(
            json.dumps(
                {"backend": backend, "n": args.n, **{k: round(v) for k, v in (bare | ours).items()}}
            )
        )


if __name__ == "__main__":
    main()
