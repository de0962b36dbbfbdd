"""Finding a person's envelopes without their identity in clear; first visits per quarter."""

from datetime import timedelta

from application.ledger import Ledger
from domain.personal_data import normalized_identity
from tests.builders import DPO, NOW, open_request, sign_mandate

ZOE = {"first_name": "Zoé", "last_name": "Lefèvre", "birth_date": "1980-02-03"}
ZOE_TYPED_AGAIN = {"first_name": "zoe", "last_name": "LEFEVRE", "birth_date": "1980-02-03"}


def test_a_dpo_finds_every_envelope_of_one_person_and_no_other(
    ledger: Ledger, structure: str
) -> None:
    request = open_request(ledger, structure, user=ZOE)
    mandate = sign_mandate(ledger, structure, mandant=ZOE_TYPED_AGAIN)
    open_request(ledger, structure)
    found = ledger.keys.envelopes_of(normalized_identity(ZOE))
    assert sorted(found) == sorted([request.envelope_id, mandate.envelope_id])


def test_the_lookup_forgets_an_envelope_with_its_key(ledger: Ledger, structure: str) -> None:
    request = open_request(ledger, structure, user=ZOE)
    ledger.personal_data.destroy_envelope(
        request.envelope_id, reason="data_subject_request", actor=DPO, now=NOW
    )
    assert ledger.keys.envelopes_of(normalized_identity(ZOE)) == []


def test_a_person_is_a_new_visitor_once_per_structure_and_quarter(
    ledger: Ledger, structure: str, other_structure: str
) -> None:
    first = open_request(ledger, structure, user=ZOE)
    again = open_request(ledger, structure, user=ZOE_TYPED_AGAIN)
    elsewhere = open_request(ledger, other_structure, user=ZOE)
    next_quarter = NOW + timedelta(days=40)
    later = open_request(ledger, structure, user=ZOE, received_at=next_quarter, now=next_quarter)
    visits = [ledger.requests.get(r.id) for r in (first, again, elsewhere, later)]
    assert [v.new_visitor for v in visits] == [True, False, True, True]
