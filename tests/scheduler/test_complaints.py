"""Art. 4.7: reminders of complaints falling due, and their destruction like any envelope."""

from collections.abc import Callable
from datetime import timedelta

from application.ledger import Ledger
from scheduler.complaints import ComplaintJob
from scheduler.jobs import Context, Job, Report
from scheduler.retention import RetentionJob
from tests.builders import ADVISER, NOW
from tests.projections.test_complaints_view import receive
from tests.scheduler.conftest import Told


def test_the_scheduler_warns_three_days_before_then_at_the_deadline_once(
    ledger: Ledger,
    structure: str,
    context: Context,
    told: Told,
    tick: Callable[[Job, object], Report],
) -> None:
    complaint = receive(ledger, structure)
    job = ComplaintJob(context)
    assert tick(job, NOW + timedelta(days=26)).done == {}
    assert tick(job, NOW + timedelta(days=27)).done == {"complaint_warning": 1}
    assert tick(job, NOW + timedelta(days=30)).done == {"complaint_critical": 1}
    assert tick(job, NOW + timedelta(days=31)).done == {}
    assert [(n.kind, n.level, n.subject_id) for n in told] == [
        ("complaint", "warning", complaint.id),
        ("complaint", "critical", complaint.id),
    ]
    answered = receive(ledger, structure)
    ledger.complaints.answer_complaint(answered.id, at=NOW, answer="ok", actor=ADVISER, now=NOW)
    assert tick(job, NOW + timedelta(days=40)).done == {}


def test_an_answered_complaint_is_destroyed_when_its_retention_ends(
    ledger: Ledger,
    structure: str,
    context: Context,
    tick: Callable[[Job, object], Report],
) -> None:
    complaint = receive(ledger, structure)
    ledger.complaints.answer_complaint(complaint.id, at=NOW, answer="ok", actor=ADVISER, now=NOW)
    job = RetentionJob(context)
    assert tick(job, NOW + timedelta(days=364)).done.get("destroyed") is None
    assert tick(job, NOW + timedelta(days=366)).done["destroyed"] == 1
    destroyed = ledger.complaints.get(complaint.id)
    assert destroyed.destruction_reason == "procedure_resolved"
    assert (destroyed.complainant, destroyed.text, destroyed.answer) == (None, None, None)
