"""The HTTP API under concurrent clients, against the library's bare ``save()`` in the same run.

Not a test. ``python -m bench.api [--n 3000] [--clients 16] [--workers 2] [--backends ...]``
starts ``ledger serve`` as a real server process on a fresh store, then drives it from one
asyncio process with ``--clients`` concurrent HTTP clients (keep-alive): the framework's floor
(``GET /v1/health``, then an authenticated ``GET /v1/structures/{id}``), then ``--n``
``POST /v1/requests`` (open: key, sealed event, chain), then one ``POST .../responses`` per
request opened (load, unseal, sealed event). It reports commands/s and p50/p99 latency per
phase, next to references measured in the same run on the same backend: the bare
one-save-per-command rate (sequential, and with ``--clients`` threads saving at once) and the
authenticated GET floor, with each command phase's ratio to each (``ratios``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.commands import (
    ADVISER,
    NOW,
    PG_BASE,
    TIMETABLE,
    bench_bare,
    bench_bare_concurrent,
    store,
)
from runtime.settings import Settings
from runtime.wiring import migrate, open_ledger, open_view_db
from store.tokens import TokenStore

USER = {"first_name": "Camille", "last_name": "Bench"}


def prepare(settings: Settings) -> str:
    """A migrated store with one structure and an adviser token."""
    migrate(settings)
    ledger = open_ledger(settings)
    ledger.structures.register_structure(
        code="bench", name="Bench", department="82", timetable=TIMETABLE, actor=ADVISER, now=NOW
    )
    ledger.close()
    db = open_view_db(settings)
    token = TokenStore(db).create("bench-adviser", "adviser", ["bench"], NOW)
    db.close()
    return token


def _stop(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM, up to 180 s for a graceful stop (the ledger's workers finish their view round
    and scheduler tick), then SIGKILL; the seconds it took."""
    stopping = time.perf_counter()
    process.terminate()
    try:
        process.wait(timeout=180)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return round(time.perf_counter() - stopping, 1)


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_rss_mb(parent: int) -> float:
    """The largest resident memory among the server's workers (the server itself with one)."""
    pids = [parent]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                pids.append(int(entry.name))
    sizes = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return round(max(sizes), 1)


@contextmanager
def server(
    settings: Settings,
    workers: int,
    pids: list[int] | None = None,
    stops: list[float] | None = None,
) -> Iterator[str]:
    port = _port()
    env = os.environ | {
        "LEDGER_DATABASE_URL": settings.database_url,
        "LEDGER_SUBJECT_SECRET": "bench-secret",
        "LEDGER_MASTER_KEY": "bench-master-key-not-for-production",
        "LEDGER_LOG_LEVEL": "INFO",  # as in production: one access line per request
    }
    command = [sys.executable, "-m", "runtime.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if pids is not None:
        pids.append(process.pid)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url)
        yield url
    finally:
        seconds = _stop(process)
        if stops is not None:
            stops.append(seconds)


@contextmanager
def peer_server(settings: Settings, workers: int) -> Iterator[str]:
    """The naive peer (``bench.peer``) under the same uvicorn settings as ``ledger serve``, on
    a store of the same backend (its own tables, created by eventsourcing)."""
    port = _port()
    env = os.environ | settings.eventsourcing_env(create_schema=True)
    if settings.backend == "postgres":
        _create_schema(env)
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.peer:create_app"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--workers", str(workers), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url)
        yield url
    finally:
        _stop(process)


def _create_schema(env: dict[str, str]) -> None:
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{env["POSTGRES_SCHEMA"]}"')


def _wait_until_up(url: str) -> None:
    for _ in range(600):
        try:
            httpx.get(f"{url}/v1/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} never answered")


class Connection:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams: the load generator shares the
    two cores with the server and the database, so it must cost far less than what it drives
    (httpx costs about a millisecond of CPU per request here; this, a few dozen microseconds)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        return await self.send(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.send(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}\r\n".encode()
        )

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


Call = Callable[[Connection, int], Awaitable[int]]


async def drive(url: str, token: str, clients: int, n: int, call: Call) -> dict[str, Any]:
    """``n`` calls shared by ``clients`` concurrent keep-alive connections; latency of each."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures: dict[int, int] = {}
    counter = iter(range(n))
    connections = [
        Connection(host, int(port), {"Authorization": f"Bearer {token}"}) for _ in range(clients)
    ]

    async def client_loop(connection: Connection) -> None:
        for i in counter:
            started = time.perf_counter()
            status = await call(connection, i)
            latencies.append(time.perf_counter() - started)
            if status >= 300:
                failures[status] = failures.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "commands_per_s": round(n / elapsed),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "failures": failures,
    }


async def drive_open(
    url: str, token: str, rate: float, n: int, call: Call, connections: int = 64
) -> dict[str, Any]:
    """An open loop: call ``i`` is due at ``i / rate`` seconds whatever the answers do, and its
    latency counts from that instant (queueing included: no coordinated omission). Up to
    ``connections`` keep-alive connections carry the calls in flight."""
    host, port = url.removeprefix("http://").split(":")
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    opened = [
        Connection(host, int(port), {"Authorization": f"Bearer {token}"})
        for _ in range(connections)
    ]
    for connection in opened:
        pool.put_nowait(connection)
    latencies: list[float] = []
    failures: dict[int, int] = {}
    started = time.perf_counter()

    async def one(i: int) -> None:
        due = started + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        connection = await pool.get()
        try:
            status = await call(connection, i)
        finally:
            pool.put_nowait(connection)
        latencies.append(time.perf_counter() - due)
        if status >= 300:
            failures[status] = failures.get(status, 0) + 1

    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - started
    for connection in opened:
        connection.close()
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "offered_per_s": round(rate),
        "served_per_s": round(n / elapsed),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "failures": failures,
    }


def commands(ids: list[str]) -> tuple[Call, Call]:
    """Open a request, and answer the ``i``-th request opened: the same two bodies for the
    ledger and its naive peer."""
    opened = {
        "structure_id": "bench",
        "channel": "email",
        "partner": "caf",
        "mission": "information",
        "theme": "rsa",
        "received_at": NOW.isoformat(),
        "user": USER,
    }
    answer = {"at": (NOW + timedelta(hours=1)).isoformat(), "summary": "answered"}

    async def open_one(connection: Connection, i: int) -> int:
        status, body = await connection.post("/v1/requests", opened)
        if status == 201:
            ids[i] = json.loads(body)["id"]
        return status

    async def respond(connection: Connection, i: int) -> int:
        status, _ = await connection.post(f"/v1/requests/{ids[i]}/responses", answer)
        return status

    return open_one, respond


async def against_peer(url: str, token: str, clients: int, n: int, open_n: int) -> dict[str, Any]:
    """Closed loop at ``clients`` (the maximum rate) for each command, then an open loop of
    ``open_n`` calls at 80 % of that maximum."""
    ids = [""] * (n + open_n)
    open_one, respond = commands(ids)
    found: dict[str, Any] = {}
    found["open closed-loop"] = await drive(url, token, clients, n, open_one)
    found["respond closed-loop"] = await drive(url, token, clients, n, respond)
    rate = 0.8 * found["open closed-loop"]["commands_per_s"]

    async def open_later(connection: Connection, i: int) -> int:
        return await open_one(connection, n + i)

    async def respond_later(connection: Connection, i: int) -> int:
        return await respond(connection, n + i)

    found["open open-loop at 80 %"] = await drive_open(url, token, rate, open_n, open_later)
    rate = 0.8 * found["respond closed-loop"]["commands_per_s"]
    found["respond open-loop at 80 %"] = await drive_open(url, token, rate, open_n, respond_later)
    return found


# The memory phase only has to reach its count of commands: with more clients in flight, group
# commit batches more (PostgreSQL: 455 -> 550 opens/s from 16 to 64 clients, 2026-12-03), and
# more requests are held at once, which can only raise the memory measured.
MEMORY_CLIENTS = 64


def bench_vs_peer(
    backend: str, n: int, clients: int, workers: int, memory_commands: int = 0
) -> dict[str, Any]:
    """The ledger's API and the naive peer, each on a fresh store of ``backend``, one run;
    then ``memory_commands`` more opens on the ledger and its workers' resident memory."""
    with store(backend) as settings, peer_server(settings, workers) as url:
        peer = asyncio.run(against_peer(url, "unused", clients, n, n))
    pids: list[int] = []
    stops: list[float] = []
    with store(backend) as settings:
        token = prepare(settings)
        with server(settings, workers, pids, stops) as url:
            ours = asyncio.run(against_peer(url, token, clients, n, n))
            memory_started = time.perf_counter()
            if memory_commands:
                ids = [""] * memory_commands
                open_one, _ = commands(ids)
                asyncio.run(drive(url, token, MEMORY_CLIENTS, memory_commands, open_one))
            rss = worker_rss_mb(pids[0])
            memory_s = round(time.perf_counter() - memory_started, 1)
    shape = {"backend": backend, "clients": clients, "workers": workers, "n": n}
    return shape | {
        "ledger_stop_s": stops[0],
        "ledger": ours,
        "peer": peer,
        "ledger_commands": 4 * n + memory_commands,
        "ledger_worker_rss_mb": rss,
        "memory_phase_s": memory_s,
        "memory_clients": MEMORY_CLIENTS,
    }


async def run_phases(url: str, token: str, clients: int, n: int) -> dict[str, Any]:
    open_one, respond = commands([""] * n)

    async def health(connection: Connection, _: int) -> int:
        return (await connection.get("/v1/health"))[0]

    async def structure(connection: Connection, _: int) -> int:
        return (await connection.get("/v1/structures/bench"))[0]

    return {
        "floor GET /v1/health": await drive(url, token, clients, n, health),
        "floor GET /v1/structures/{id}": await drive(url, token, clients, n, structure),
        "POST /v1/requests": await drive(url, token, clients, n, open_one),
        "POST /v1/requests/{id}/responses": await drive(url, token, clients, n, respond),
    }


def bench(backend: str, n: int, clients: int, workers: int) -> dict[str, Any]:
    with store(backend) as bare_settings:
        bare = bench_bare(bare_settings, min(n, 2000))
    with store(backend) as bare_settings:
        concurrent = bench_bare_concurrent(bare_settings, min(n, 2000), clients)
    with store(backend) as settings:
        token = prepare(settings)
        with server(settings, workers) as url:
            phases = asyncio.run(run_phases(url, token, clients, n))
    bare_save = bare["bare save() of a new 1-event aggregate"]
    floor = phases["floor GET /v1/structures/{id}"]["commands_per_s"]
    ratios = {
        f"{phase} vs {reference}": round(phases[phase]["commands_per_s"] / rate, 2)
        for phase in ("POST /v1/requests", "POST /v1/requests/{id}/responses")
        for reference, rate in (
            ("bare save()", bare_save),
            (f"bare save() x {clients} threads", concurrent),
            ("GET floor", floor),
        )
    }
    return {
        "backend": backend,
        "n": n,
        "clients": clients,
        "workers": workers,
        "bare_save_per_s": round(bare_save),
        "bare_get_event_save_per_s": round(bare["bare get + event + save()"]),
        f"bare_save_{clients}_threads_per_s": round(concurrent),
        **phases,
        "ratios": ratios,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        print(json.dumps(bench(backend, args.n, args.clients, args.workers)), flush=True)


if __name__ == "__main__":
    main()
