"""Art. 5.2.1: partner referents, their sealed details, and their destruction when they leave."""

from uuid import uuid4

import pytest

from domain.actor import Actor
from domain.errors import InvalidInput, RuleViolation
from domain.referent import Referent
from tests.builders import NOW

SUPERVISOR = Actor(name="supervisor-sam", role="supervisor")
CONTACT = {
    "first_name": "Claire",
    "last_name": "Dubois",
    "phone": "05 63 00 00 00",
    "email": "claire.dubois@caf.example",
}


def appoint(**contact: str) -> Referent:
    return Referent.appoint(
        structure_id=uuid4(), partner="caf", contact=CONTACT | contact, actor=SUPERVISOR, now=NOW
    )


def test_a_referents_details_are_sealed_and_every_problem_named_at_once() -> None:
    named = appoint().collect_events()[0]
    assert type(named).personal_fields == ("contact",)
    with pytest.raises(InvalidInput) as refused:
        Referent.appoint(
            structure_id=uuid4(),
            partner="caf",
            contact={"first_name": "Claire", "email": "nowhere", "home": "x"},
            actor=SUPERVISOR,
            now=NOW,
        )
    assert {e.field for e in refused.value.errors} == {
        "contact.home",
        "contact.last_name",
        "contact.phone",
        "contact.email",
    }


def test_leaving_destroys_the_details_at_once_and_only_once() -> None:
    referent = appoint()
    referent.change_contact(CONTACT | {"phone": "05 63 11 11 11"}, actor=SUPERVISOR, now=NOW)
    assert referent.contact is not None
    assert referent.contact["phone"] == "05 63 11 11 11"
    referent.leave(actor=SUPERVISOR, now=NOW)
    assert not referent.active
    assert referent.contact is None
    assert [type(e).__name__ for e in referent.pending_events[-2:]] == [
        "Left",
        "PersonalDataDestroyed",
    ]
    with pytest.raises(RuleViolation) as again:
        referent.leave(actor=SUPERVISOR, now=NOW)
    assert again.value.code == "referent_left"
