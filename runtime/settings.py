"""The one reader of the environment (prefix ``LEDGER_``)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.policy import Policy, RiskLevel

DEFAULT_DATABASE_URL = "sqlite:///./var/ledger.db"
MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE = ".master-key", ".master-key.next"
SQLITE_COMPANIONS = ("", "-wal", "-shm", ".subject-secret", MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE)


def private_sqlite_files(path: Path) -> None:
    """The SQLite database holds the envelope keys: its folder is 0700, the database 0600 before
    any connection opens it (SQLite gives its WAL and shared-memory files the database's mode),
    and an older deployment's files are tightened to the same."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists() and companion.stat().st_mode & 0o077:
            companion.chmod(0o600)


def write_secret(path: Path) -> None:
    """A new random secret in a file only its owner reads (folder 0700, file 0600)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_hex(32))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    postgres_pool_size: int = Field(default=5, ge=1)
    response_working_hours: float = Field(default=72.0, gt=0)
    mandate_max_months: int = Field(default=12, ge=1, le=120)
    breach_notification_hours: float = Field(default=72.0, gt=0)
    breach_notification_threshold: RiskLevel = RiskLevel.RISK
    request_resolved_grace_days: int = Field(default=0, ge=0)
    request_inactive_months: int = Field(default=24, ge=1)
    mandate_retention_years: int = Field(default=6, ge=1)
    breach_retention_years: int = Field(default=5, ge=1)
    complaint_answer_days: int = Field(default=30, ge=1, le=365)
    complaint_retention_months: int = Field(default=12, ge=1)
    identity_verification_max_hours: float = Field(default=24.0, gt=0)
    log_level: str = "INFO"
    subject_secret: SecretStr | None = None
    # Envelope keys are wrapped under it (docs/operations.md, Keys); the next one during a
    # rotation (``ledger keys rotate``).
    master_key: SecretStr | None = None
    master_key_next: SecretStr | None = None
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # The scheduler (docs/operations.md): how often it looks, and when it warns.
    scheduler_interval_seconds: float = Field(default=60.0, gt=0)
    sla_warning_working_hours: float = Field(default=24.0, gt=0)
    cnil_warning_hours: list[float] = Field(default_factory=lambda: [24.0, 12.0, 0.0])
    mandate_notice_days: int = Field(default=30, ge=0)
    # Where alerts are told, besides the log.
    alert_webhook_url: str | None = None
    alert_webhook_secret: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    alert_sender: str = "registre-france-services@localhost"
    dpo_email: str | None = None
    # Anchors of the hash chain, outside the database (docs/operations.md, Integrity).
    anchor_path: Path | None = None
    anchor_secret: SecretStr | None = None
    supervisor_emails: dict[str, list[str]] = Field(default_factory=dict)

    def subject_key(self) -> bytes:
        """The HMAC key of subject lookups and visit tokens: never stored in the database.

        Required on PostgreSQL; on SQLite a random one is kept beside the database file.
        """
        return self._secret(self.subject_secret, "LEDGER_SUBJECT_SECRET", ".subject-secret")

    def master_secrets(self) -> tuple[bytes, bytes | None]:
        """The master key the envelope keys are wrapped under, and the next one during a
        rotation. Never in the database: required on PostgreSQL; on SQLite a random one is kept
        beside the database file (``.master-key``, and ``.master-key.next`` while rotating)."""
        current = self._secret(self.master_key, "LEDGER_MASTER_KEY", MASTER_KEY_FILE)
        if self.master_key_next is not None:
            return current, self.master_key_next.get_secret_value().encode()
        if self.master_key is None and self.backend == "sqlite":
            following = self.secret_file(NEXT_MASTER_KEY_FILE)
            if following.exists():
                return current, following.read_text().strip().encode()
        return current, None

    def secret_file(self, suffix: str) -> Path:
        return self.sqlite_path.with_name(self.sqlite_path.name + suffix)

    def _secret(self, configured: SecretStr | None, name: str, suffix: str) -> bytes:
        if configured is not None:
            return configured.get_secret_value().encode()
        if self.backend == "postgres":
            raise ValueError(f"{name} is required with PostgreSQL")
        path = self.secret_file(suffix)
        if not path.exists():
            write_secret(path)
        return path.read_text().strip().encode()

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("LEDGER_DATABASE_URL is sqlite:///PATH or postgresql://...")
        return value

    @model_validator(mode="after")
    def _signed_webhook(self) -> Settings:
        if self.alert_webhook_url and self.alert_webhook_secret is None:
            raise ValueError("LEDGER_ALERT_WEBHOOK_SECRET is required with a webhook URL")
        if self.anchor_path and self.anchor_secret is None:
            raise ValueError("LEDGER_ANCHOR_SECRET is required with LEDGER_ANCHOR_PATH")
        return self

    @property
    def backend(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite") else "postgres"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    def policy(self) -> Policy:
        return Policy(
            response_working_hours=self.response_working_hours,
            mandate_max_months=self.mandate_max_months,
            breach_notification_hours=self.breach_notification_hours,
            breach_notification_threshold=self.breach_notification_threshold,
            request_resolved_grace=timedelta(days=self.request_resolved_grace_days),
            request_inactive_months=self.request_inactive_months,
            mandate_retention_years=self.mandate_retention_years,
            breach_retention_years=self.breach_retention_years,
            complaint_answer_days=self.complaint_answer_days,
            complaint_retention_months=self.complaint_retention_months,
            identity_verification_max_age=timedelta(hours=self.identity_verification_max_hours),
        )

    def eventsourcing_env(self, *, create_schema: bool = False) -> dict[str, str]:
        """The eventsourcing environment of the store (which database); the composition root
        builds our recorder and mapper on it. ``create_schema`` is for eventsourcing's own
        recorders (the benches' bare reference); ours create theirs in ``ledger migrate``."""
        env = {"CREATE_TABLE": "y" if create_schema else "n"}
        if self.backend == "sqlite":
            private_sqlite_files(self.sqlite_path)
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
            }
            return env
        url = urlsplit(self.database_url)
        query = dict(part.split("=", 1) for part in url.query.split("&") if "=" in part)
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
            "POSTGRES_SCHEMA": query.get("schema", "public"),
        }
        return env
