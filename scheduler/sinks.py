"""Where alerts are told: the log, a webhook, e-mail. Every try of a webhook or an e-mail is
recorded on the alert (``Alert.DeliveryAttempted``); a delivery that fails never loses the alert,
which stays open in ``GET /v1/alerts``. Alerts carry no personal data: ids, kinds, instants.

E-mails are read by people at a counter: their text is French. SLA and mandate alerts go to the
structure's supervisors, CNIL and retention alerts to the DPO.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import structlog

from application.ledger import Ledger
from domain.actor import SYSTEM
from scheduler.jobs import Notice

log = structlog.get_logger()
PARIS = ZoneInfo("Europe/Paris")
Sleep = Callable[[float], None]


def payload(notice: Notice) -> dict[str, Any]:
    return {
        "alert_id": notice.alert_id.hex,
        "kind": notice.kind,
        "level": notice.level,
        "subject_id": notice.subject_id.hex,
        "structure_id": notice.structure_id,
        "due_at": notice.due_at.isoformat(),
        "raised_at": notice.raised_at.isoformat(),
    }


def signature(secret: bytes, body: bytes) -> str:
    """``X-Ledger-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def log_sink(notice: Notice) -> None:
    log.warning("alert", **payload(notice))


@dataclass
class Delivery:
    """Tries one way of telling, with backoff, and records each try on the alert."""

    ledger: Ledger
    clock: Callable[[], datetime]
    backoff: Sequence[float] = (1.0, 4.0, 15.0)
    sleep: Sleep = time.sleep

    def attempt(self, notice: Notice, sink: str, send: Callable[[], str]) -> bool:
        """``send`` returns what the other side said, or raises; ``True`` once delivered."""
        for attempt, wait in enumerate((*self.backoff, None), start=1):
            try:
                detail, delivered = send(), True
            except DeliveryError as error:
                detail, delivered = str(error), False
            self.ledger.alerts.record_delivery(
                notice.alert_id,
                sink=sink,
                attempt=attempt,
                delivered=delivered,
                detail=detail,
                actor=SYSTEM,
                now=self.clock(),
            )
            if delivered:
                return True
            if wait is not None:
                self.sleep(wait)
        log.error("alert_undelivered", alert_id=notice.alert_id.hex, sink=sink)
        return False


class DeliveryError(Exception):
    """The other side refused or could not be reached (the message names a status or a type)."""


@dataclass
class WebhookSink:
    """POSTs the alert as JSON, signed with ``X-Ledger-Signature``; ``Idempotency-Key`` is the
    alert id, the same on every try, so a receiver can drop repeats."""

    url: str
    secret: bytes
    delivery: Delivery
    timeout: float = 10.0

    def __call__(self, notice: Notice) -> None:
        body = json.dumps(payload(notice), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Ledger-Signature": signature(self.secret, body),
            "Idempotency-Key": notice.alert_id.hex,
        }

        def send() -> str:
            try:
                response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
            except httpx.HTTPError as error:
                raise DeliveryError(type(error).__name__) from None
            if not response.is_success:
                raise DeliveryError(f"HTTP {response.status_code}")
            return f"HTTP {response.status_code}"

        self.delivery.attempt(notice, "webhook", send)


KINDS_FR = {
    "sla": "délai de réponse de 72 heures ouvrées (Art. 4.2)",
    "cnil": "notification de la violation à la CNIL sous 72 heures (RGPD art. 33)",
    "mandate": "fin de mandat (Art. 4.6)",
    "retention": "destruction de données personnelles en échec (Art. 4.6)",
    "complaint": "réponse à une réclamation (Art. 4.7)",
}
LEVELS_FR = {"warning": "avertissement", "critical": "critique"}
SUBJECTS_FR = {
    "sla": "demande",
    "cnil": "violation",
    "mandate": "mandat",
    "retention": "dossier",
    "complaint": "réclamation",
}


def french_text(notice: Notice) -> tuple[str, str]:
    """The e-mail's subject and body, in French, in Paris time."""
    due = notice.due_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    raised = notice.raised_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    level = LEVELS_FR.get(notice.level, notice.level)
    kind = KINDS_FR.get(notice.kind, notice.kind)
    subject = f"[Registre France Services] Alerte {level} : {kind}"
    body = "\n".join(
        [
            "Bonjour,",
            "",
            f"Le registre a levé une alerte ({level}) : {kind}.",
            f"Échéance : {due} (heure de Paris).",
            f"Levée le : {raised}.",
            f"{SUBJECTS_FR.get(notice.kind, 'objet').capitalize()} : {notice.subject_id.hex}",
            f"Alerte : {notice.alert_id.hex}",
            "",
            "Consultez les alertes du registre pour la prendre en charge (accusé de réception).",
            "Ce message ne contient aucune donnée personnelle.",
        ]
    )
    return subject, body


@dataclass
class EmailSink:
    """E-mail over SMTP (STARTTLS when configured): SLA and mandate alerts to the structure's
    supervisors, CNIL and retention alerts to the DPO."""

    host: str
    port: int
    sender: str
    delivery: Delivery
    dpo: str | None = None
    supervisors: Mapping[str, Sequence[str]] = field(default_factory=dict)
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0

    def recipients(self, notice: Notice) -> list[str]:
        if notice.kind in ("cnil", "retention"):
            return [self.dpo] if self.dpo else []
        return list(self.supervisors.get(notice.structure_id or "", ()))

    def __call__(self, notice: Notice) -> None:
        to = self.recipients(notice)
        if not to:
            return
        subject, body = french_text(notice)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, ", ".join(to), subject
        message["Message-ID"] = f"<{notice.alert_id.hex}@registre-france-services>"
        message.set_content(body)

        def send() -> str:
            try:
                with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                    if self.starttls:
                        smtp.starttls()
                    if self.user:
                        smtp.login(self.user, self.password or "")
                    smtp.send_message(message)
            except (OSError, smtplib.SMTPException) as error:
                raise DeliveryError(type(error).__name__) from None
            return "sent"

        self.delivery.attempt(notice, "email", send)


@dataclass
class Fanout:
    """Tells every sink; one sink's failure is logged and never stops the others or the tick."""

    sinks: Sequence[Callable[[Notice], None]]

    def __call__(self, notice: Notice) -> None:
        for sink in self.sinks:
            try:
                sink(notice)
            except Exception as error:  # noqa: BLE001 - a sink must not stop the scheduler
                log.error("sink_failed", alert_id=notice.alert_id.hex, error=type(error).__name__)
