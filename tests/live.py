"""A real ``ledger serve`` process on a test's store (each backend), with one token per role and
structure, that a test can kill with SIGKILL and start again (reliability and browser tests)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from runtime.settings import Settings
from runtime.wiring import open_ledger, open_view_db
from store.tokens import TokenStore
from tests.builders import CALLERS, HOME, OTHER, process_env, register_structure

STARTED = datetime.now(UTC) - timedelta(minutes=1)  # the structures exist from then on


def wait_for(what: str, ready: Callable[[], bool], seconds: float = 60) -> None:
    """Polls ``ready`` until it holds; fails naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@dataclass
class LiveServer:
    settings: Settings
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    url: str = ""

    def start(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        env = process_env(self.settings, LEDGER_LOG_LEVEL="INFO")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "runtime.cli", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def answers() -> bool:
            assert self.process is not None
            assert self.process.poll() is None, self.log_text()
            try:
                return httpx.get(f"{self.url}/v1/health", timeout=2).status_code < 600
            except httpx.TransportError:
                return False

        wait_for("the server to answer", answers)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def auth(self, role: str, structure: str | None = HOME) -> dict[str, str]:
        scoped = role in ("adviser", "supervisor")
        return {
            "Authorization": f"Bearer {self.tokens[CALLERS[(role, structure if scoped else None)]]}"
        }

    def client(self, role: str, structure: str | None = HOME) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.auth(role, structure), timeout=30)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def register(settings: Settings) -> dict[str, str]:
    """Both structures, registered a minute ago, and one token per caller of tests.builders."""
    ledger = open_ledger(settings)
    try:
        for code in (HOME, OTHER):
            register_structure(ledger, code, STARTED)
    finally:
        ledger.close()
    views = open_view_db(settings)
    try:
        tokens = TokenStore(views)
        return {
            name: tokens.create(name, role, [structure] if structure else [], STARTED)
            for (role, structure), name in CALLERS.items()
        }
    finally:
        views.close()


def request_body(structure: str = HOME, **overrides: Any) -> dict[str, Any]:
    return {
        "structure_id": structure,
        "channel": "email",
        "partner": "caf",
        "mission": "administrative_help",
        "theme": "rsa",
        "received_at": datetime.now(UTC).isoformat(),
        "user": {"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1950-02-03"},
    } | overrides
