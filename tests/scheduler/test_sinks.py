"""Alerts told through a webhook (a local HTTP server started here) and e-mail (a local SMTP
server, aiosmtpd): signed, retried, idempotent, recorded on the alert, in French, no personal
data."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller

from application.ledger import Ledger
from domain.actor import SYSTEM
from domain.structure import structure_uuid
from scheduler.jobs import Notice
from scheduler.sinks import Delivery, EmailSink, Fanout, WebhookSink, french_text
from tests.builders import NOW, USER, open_request

SECRET = b"webhook-test-secret"


class Receiver(ThreadingHTTPServer):
    """Answers each POST with the next status of ``statuses`` (200 once they run out)."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/alerts"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    server = Receiver(list(getattr(request, "param", [])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, mailbox
    controller.stop()


def raised(ledger: Ledger, kind: str = "sla", subject: UUID | None = None) -> Notice:
    alert, _ = ledger.alerts.raise_alert(
        kind=kind,
        subject_id=subject or UUID(int=1),
        due_at=NOW,
        level="critical",
        actor=SYSTEM,
        now=NOW,
    )
    return Notice(alert.id, kind, "critical", alert.subject_id, NOW, NOW, None)


def attempts(ledger: Ledger, alert_id: UUID) -> list[tuple[str, int, bool, str]]:
    return [
        (e.sink, e.attempt, e.delivered, e.detail)
        for e in ledger.repository.event_store.get(alert_id)
        if type(e).__name__ == "DeliveryAttempted"
    ]


def delivery(ledger: Ledger, waits: list[float]) -> Delivery:
    return Delivery(ledger, clock=lambda: NOW + timedelta(minutes=1), sleep=waits.append)


@pytest.mark.parametrize("receiver", [[500]], indirect=True)
def test_the_webhook_is_signed_retried_after_a_500_and_keeps_its_idempotency_key(
    ledger: Ledger, receiver: Receiver
) -> None:
    notice, waits = raised(ledger), []
    WebhookSink(receiver.url, SECRET, delivery(ledger, waits))(notice)
    assert len(receiver.received) == 2
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        assert headers["X-Ledger-Signature"] == expected
        assert headers["Idempotency-Key"] == notice.alert_id.hex
        assert json.loads(body) == {
            "alert_id": notice.alert_id.hex,
            "kind": "sla",
            "level": "critical",
            "subject_id": UUID(int=1).hex,
            "structure_id": None,
            "due_at": NOW.isoformat(),
            "raised_at": NOW.isoformat(),
        }
    assert receiver.received[0][1] == receiver.received[1][1]
    assert waits == [1.0]
    assert attempts(ledger, notice.alert_id) == [
        ("webhook", 1, False, "HTTP 500"),
        ("webhook", 2, True, "HTTP 200"),
    ]


@pytest.mark.parametrize("receiver", [[503] * 10], indirect=True)
def test_a_webhook_that_keeps_failing_leaves_the_alert_open_with_every_try_recorded(
    ledger: Ledger, receiver: Receiver
) -> None:
    notice, waits = raised(ledger), []
    Fanout([WebhookSink(receiver.url, SECRET, delivery(ledger, waits))])(notice)
    assert waits == [1.0, 4.0, 15.0]
    assert [a[2] for a in attempts(ledger, notice.alert_id)] == [False] * 4
    assert ledger.alerts.get(notice.alert_id).acknowledged_at is None


def test_an_unreachable_webhook_is_recorded_by_error_type(ledger: Ledger) -> None:
    notice, waits = raised(ledger), []
    sink = WebhookSink("http://127.0.0.1:9/alerts", SECRET, delivery(ledger, waits), timeout=2)
    sink(notice)
    assert {a[3] for a in attempts(ledger, notice.alert_id)} == {"ConnectError"}


def test_sla_alerts_are_mailed_in_french_to_the_structures_supervisors(
    ledger: Ledger, structure: str, smtp: tuple[Controller, Mailbox]
) -> None:
    controller, mailbox = smtp
    request = open_request(ledger, structure)
    home = structure_uuid(structure).hex
    notice = raised(ledger, "sla", request.id)
    notice = Notice(notice.alert_id, "sla", "critical", request.id, NOW, NOW, home)
    sink = EmailSink(
        host="127.0.0.1",
        port=controller.port,
        sender="registre@fs82.example",
        delivery=delivery(ledger, []),
        dpo="dpo@fs82.example",
        supervisors={home: ["sam@fs82.example", "sue@fs82.example"]},
    )
    sink(notice)
    (message,) = mailbox.messages
    assert message["To"] == "sam@fs82.example, sue@fs82.example"
    assert message["Subject"] == (
        "[Registre France Services] Alerte critique : délai de réponse de 72 heures ouvrées "
        "(Art. 4.2)"
    )
    text = message.get_content()
    assert "Échéance : 23/11/2026 à 10:00 (heure de Paris)" in text
    assert request.id.hex in text
    assert USER["last_name"] not in text
    assert USER["first_name"] not in text
    assert attempts(ledger, notice.alert_id) == [("email", 1, True, "sent")]


def test_cnil_alerts_are_mailed_to_the_dpo(
    ledger: Ledger, smtp: tuple[Controller, Mailbox]
) -> None:
    controller, mailbox = smtp
    notice = raised(ledger, "cnil")
    EmailSink(
        host="127.0.0.1",
        port=controller.port,
        sender="registre@fs82.example",
        delivery=delivery(ledger, []),
        dpo="dpo@fs82.example",
    )(notice)
    (message,) = mailbox.messages
    assert message["To"] == "dpo@fs82.example"
    assert "CNIL" in message["Subject"]


def test_the_french_text_reads_the_deadline_in_paris_time_across_the_clock_change() -> None:
    due = datetime(2026, 3, 30, 9, tzinfo=UTC)
    subject, body = french_text(Notice(UUID(int=2), "cnil", "warning", UUID(int=3), due, due, None))
    assert subject.startswith("[Registre France Services] Alerte avertissement")
    assert "Échéance : 30/03/2026 à 11:00 (heure de Paris)" in body
