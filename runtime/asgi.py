"""The ASGI factory uvicorn workers import (``ledger serve --workers N``): settings from the
environment, the app built in each worker process."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from runtime.logs import configure_logging
from runtime.settings import Settings


def app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
