"""The live server fixture (``tests.live``) for the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.settings import Settings
from tests.live import LiveServer, register


@pytest.fixture
def live(settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(settings, tmp_path / "server.log", register(settings))
    server.start()
    try:
        yield server
    finally:
        server.stop()
