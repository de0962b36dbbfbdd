"""The complaints register as a view, its reminders from the scheduler, and its destruction
by the retention job like any envelope (both backends)."""

from datetime import timedelta

from application.ledger import Ledger
from domain.complaint import Complaint
from projections import VIEW_TABLES
from projections.complaints import register, yearly
from projections.db import hex_id
from projections.runner import ProjectionRunner
from tests.builders import ADVISER, MARTIN, NOW, view_rows

YEAR = (NOW.replace(month=1, day=1), NOW.replace(year=NOW.year + 1, month=1, day=1))


def receive(ledger: Ledger, structure: str, topic: str = "waiting") -> Complaint:
    return ledger.complaints.receive_complaint(
        structure_code=structure,
        channel="counter",
        topic=topic,
        received_at=NOW,
        complainant=MARTIN,
        text="Mme Martin waited two hours",
        actor=ADVISER,
        now=NOW,
    )


def test_the_register_shows_states_and_the_year_counts_without_personal_data(
    ledger: Ledger, structure: str, other_structure: str, runner: ProjectionRunner
) -> None:
    waiting = receive(ledger, structure)
    answered = receive(ledger, structure, "welcome")
    late = receive(ledger, structure, "welcome")
    receive(ledger, other_structure)
    soon = NOW + timedelta(days=1)
    ledger.complaints.answer_complaint(answered.id, at=soon, answer="ok", actor=ADVISER, now=soon)
    after = NOW + timedelta(days=31)
    ledger.complaints.answer_complaint(late.id, at=after, answer="ok", actor=ADVISER, now=after)
    runner.run_until_idle()
    home = hex_id(ledger.structures.get(structure).id) or ""
    with runner.db.reading(VIEW_TABLES) as tx:
        listed = register(tx, home, NOW + timedelta(days=40))
        counts = yearly(tx, home, *YEAR)
        department = yearly(tx, None, *YEAR)
    states = [(c["complaint_id"], c["state"]) for c in listed]
    assert states[0] == (waiting.id.hex, "overdue")  # unanswered first
    assert set(states[1:]) == {(answered.id.hex, "answered"), (late.id.hex, "answered_late")}
    assert counts == {
        "received": 3,
        "answered_on_time": 1,
        "answered_late": 1,
        "unanswered": 1,
        "by_topic": {"waiting": 1, "welcome": 2},
        "by_channel": {"counter": 3},
    }
    assert department["received"] == 4
    assert "Martin" not in repr(view_rows(runner))
