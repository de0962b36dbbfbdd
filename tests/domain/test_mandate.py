"""Rule 4 (Art. 4.6): a signed, scoped, revocable mandate before acting for someone."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.errors import (
    InvalidInput,
    MandateExpired,
    MandateOutOfScope,
    MandatePreconditionMissing,
    MandateRevoked,
    PersonalDataDestroyedError,
)
from domain.mandate import Mandate, MandateStatus, RevocationChannel
from domain.personal_data import DestructionReason
from domain.policy import Policy
from domain.retention import add_months
from domain.vocabulary import ScopeKind
from tests.builders import ADVISER, NOW

POLICY = Policy()
SHA = "a" * 64
ACT = ScopeKind.ACT_ON_BEHALF


def terms(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "structure_id": uuid4(),
        "mandant": {"first_name": "Jeanne", "last_name": "Test"},
        "identity_verification": {
            "document_type": "id_card",
            "verified_at": NOW - timedelta(minutes=5),
        },
        "information_notice_version": "2026-01",
        "scopes": [{"partner": "caf", "kinds": ["act_on_behalf"]}],
        "valid_until": NOW + timedelta(days=182),
        "originals": 2,
        "signed_document_sha256": SHA,
        "signed_on_site": True,
    }
    return base | overrides


def sign(**overrides: Any) -> Mandate:
    return Mandate.sign(**terms(**overrides), policy=POLICY, actor=ADVISER, now=NOW)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"identity_verification": {"verified_at": NOW}}, "identity_verification.document_type"),
        (
            {"identity_verification": {"document_type": "passport"}},
            "identity_verification.verified_at",
        ),
        ({"information_notice_version": ""}, "information_notice.version"),
        ({"scopes": []}, "scopes"),
        ({"scopes": [{"partner": "caf", "kinds": []}]}, "scopes[0].kinds"),
        ({"valid_until": NOW}, "valid_until"),
        ({"originals": 1}, "originals"),
        ({"signed_document_sha256": ""}, "signed_document_sha256"),
        ({"signed_on_site": False}, "signed_on_site"),
    ],
)
def test_signing_is_refused_when_a_precondition_is_missing(
    override: dict[str, Any], field: str
) -> None:
    with pytest.raises(MandatePreconditionMissing) as refused:
        sign(**override)
    assert refused.value.field == field


def test_a_mandate_lasts_at_most_the_configured_months() -> None:
    assert sign(valid_until=add_months(NOW, 12)).status(NOW) == MandateStatus.ACTIVE
    with pytest.raises(MandatePreconditionMissing) as refused:
        sign(valid_until=add_months(NOW, 12) + timedelta(seconds=1))
    assert refused.value.field == "valid_until"


def test_an_identity_verified_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        sign(
            identity_verification={
                "document_type": "id_card",
                "verified_at": NOW + timedelta(hours=1),
            }
        )
    assert refused.value.field == "identity_verification.verified_at"


def revoke(mandate: Mandate, at: datetime) -> bool:
    return mandate.revoke(
        requested_by="mandant",
        channel=RevocationChannel.COUNTER,
        reason="changed mind",
        at=at,
        policy=POLICY,
        actor=ADVISER,
        now=at,
    )


def test_revocation_takes_effect_at_once() -> None:
    mandate = sign()
    revoke(mandate, NOW + timedelta(hours=1))
    with pytest.raises(MandateRevoked):
        mandate.check_can_act("caf", ACT, NOW + timedelta(hours=1))


def test_revoking_twice_records_one_revocation() -> None:
    mandate = sign()
    assert revoke(mandate, NOW + timedelta(hours=1))
    assert not revoke(mandate, NOW + timedelta(hours=2))
    assert [type(e).__name__ for e in mandate.collect_events()] == ["Signed", "Revoked"]
    assert mandate.revoked_at == NOW + timedelta(hours=1)


def test_a_mandate_past_its_end_is_expired_even_before_the_expiry_is_recorded() -> None:
    mandate = sign()
    with pytest.raises(MandateExpired):
        mandate.check_can_act("caf", ACT, mandate.valid_until)


def test_a_mandate_covers_only_its_partners_and_kinds() -> None:
    mandate = sign()
    with pytest.raises(MandateOutOfScope):
        mandate.check_can_act("cpam", ACT, NOW)
    with pytest.raises(MandateOutOfScope):
        mandate.check_can_act("caf", ScopeKind.DATA_COMMUNICATION, NOW)


def test_mandate_data_are_due_for_destruction_six_years_after_it_ends() -> None:
    mandate = sign()
    assert mandate.data_due_at == add_months(mandate.valid_until, 72)
    revoke(mandate, NOW + timedelta(days=1))
    assert mandate.data_due_at == add_months(NOW + timedelta(days=1), 72)


class MandateLifecycle(RuleBasedStateMachine):
    """Whatever happens, a revoked or expired mandate never becomes usable again."""

    def __init__(self) -> None:
        super().__init__()
        self.mandate = sign(valid_until=NOW + timedelta(days=30))
        self.now = NOW
        self.was_revoked = False
        self.was_expired = False
        self.uses = 0

    @rule(hours=st.integers(min_value=0, max_value=24 * 20))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def user_revokes(self) -> None:
        revoke(self.mandate, self.now)
        self.was_revoked = True

    @rule()
    def scheduler_expires(self) -> None:
        if self.mandate.expire(actor=ADVISER, now=self.now):
            self.was_expired = True

    @rule(partner=st.sampled_from(["caf", "cpam"]), kind=st.sampled_from(list(ScopeKind)))
    def adviser_acts(self, partner: str, kind: ScopeKind) -> None:
        usable = (
            not self.was_revoked
            and self.now < self.mandate.valid_until
            and partner == "caf"
            and kind == ACT
        )
        try:
            self.mandate.record_use(uuid4(), partner, kind, self.now, actor=ADVISER, now=self.now)
        except (MandateRevoked, MandateExpired, MandateOutOfScope):
            assert not usable
        else:
            assert usable
            self.uses += 1

    @invariant()
    def status_is_consistent(self) -> None:
        status = self.mandate.status(self.now)
        if self.was_revoked:
            assert status == MandateStatus.REVOKED
        elif self.was_expired or self.now >= self.mandate.valid_until:
            assert status == MandateStatus.EXPIRED
        else:
            assert status == MandateStatus.ACTIVE
        assert len(self.mandate.uses) == self.uses


TestMandateLifecycle = MandateLifecycle.TestCase
TestMandateLifecycle.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)


def test_a_mandate_whose_data_were_destroyed_cannot_be_revoked_any_more() -> None:
    mandate = sign()
    mandate.destroy_personal_data(DestructionReason.DATA_SUBJECT_REQUEST, actor=ADVISER, now=NOW)
    with pytest.raises(PersonalDataDestroyedError):
        revoke(mandate, NOW)


def test_a_revocation_before_the_signature_is_refused() -> None:
    mandate = sign()
    with pytest.raises(InvalidInput) as refused:
        mandate.revoke(
            requested_by="mandant",
            channel=RevocationChannel.COUNTER,
            reason="changed mind",
            at=NOW - timedelta(minutes=1),
            policy=POLICY,
            actor=ADVISER,
            now=NOW + timedelta(hours=1),
        )
    assert refused.value.field == "at"
    assert mandate.revoked_at is None


@pytest.mark.parametrize(
    "verified_at", [datetime(1990, 1, 1, tzinfo=UTC), NOW - timedelta(days=1, minutes=1)]
)
def test_an_identity_verified_before_the_day_of_signature_is_refused(verified_at: datetime) -> None:
    """Art. 4.6: the identity is checked on site, when the mandate is signed (1990 is not even
    an instant of the ledger's century)."""
    with pytest.raises(InvalidInput) as refused:
        sign(identity_verification={"document_type": "id_card", "verified_at": verified_at})
    assert refused.value.field == "identity_verification.verified_at"


def test_the_identity_check_window_is_configurable() -> None:
    verified_at = NOW - timedelta(days=3)
    terms_ = terms(identity_verification={"document_type": "id_card", "verified_at": verified_at})
    policy = Policy(identity_verification_max_age=timedelta(days=7))
    assert Mandate.sign(**terms_, policy=policy, actor=ADVISER, now=NOW).status(NOW) == "active"


def test_a_malformed_document_hash_is_invalid_input_not_a_missing_precondition() -> None:
    with pytest.raises(InvalidInput) as refused:
        sign(signed_document_sha256="not-a-hash")
    assert (refused.value.code, refused.value.field) == ("invalid_input", "signed_document_sha256")


def test_every_problem_of_a_mandate_is_named_at_once() -> None:
    with pytest.raises(MandatePreconditionMissing) as refused:
        sign(
            information_notice_version="",
            originals=1,
            signed_document_sha256="not-a-hash",
            signed_on_site=False,
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("information_notice.version", "mandate_precondition_missing"),
        ("originals", "mandate_precondition_missing"),
        ("signed_document_sha256", "invalid_input"),
        ("signed_on_site", "mandate_precondition_missing"),
    ]
    assert refused.value.field == "information_notice.version"
