"""Raising twice records once; the alerts view lists open and acknowledged alerts."""

from datetime import timedelta
from uuid import uuid4

from application.ledger import Ledger
from domain.actor import SYSTEM
from projections import alerts as alerts_module
from projections.db import hex_id
from projections.runner import ProjectionRunner
from tests.builders import DPO, NOW


def test_an_alert_raised_twice_is_listed_once_and_its_acknowledgement_shows(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    subject, due = uuid4(), NOW + timedelta(hours=72)
    alert, raised = ledger.alerts.raise_alert(
        kind="cnil", subject_id=subject, due_at=due, level="warning", actor=SYSTEM, now=NOW
    )
    again, raised_again = ledger.alerts.raise_alert(
        kind="cnil", subject_id=subject, due_at=due, level="warning", actor=SYSTEM, now=NOW
    )
    other, _ = ledger.alerts.raise_alert(
        kind="sla", subject_id=uuid4(), due_at=NOW, level="critical", actor=SYSTEM, now=NOW
    )
    ledger.alerts.acknowledge_alert(other.id, actor=DPO, now=NOW)
    runner.run_until_idle()
    with runner.db.reading({"alerts": "alerts"}) as tx:
        open_cnil = alerts_module.listing(tx, kind="cnil", status="open")
        everything = alerts_module.listing(tx)
    assert (raised, raised_again, again.id) == (True, False, alert.id)
    assert [(a["alert_id"], a["subject_id"], a["level"]) for a in open_cnil] == [
        (hex_id(alert.id), hex_id(subject), "warning")
    ]
    assert {a["status"] for a in everything} == {"open", "acknowledged"}
