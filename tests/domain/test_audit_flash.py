"""Art. 4.7: a flash audit against the versioned ANCT grid; each criterion assessed, then closed."""

from uuid import uuid4

import pytest

from domain.actor import Actor
from domain.audit_flash import CURRENT_GRID, FlashAudit, Result
from domain.errors import InvalidInput, RuleViolation
from tests.builders import NOW

AUDITOR = Actor(name="admin-paul", role="admin")


def opened() -> FlashAudit:
    return FlashAudit.open(
        structure_id=uuid4(),
        evidence={"response_72h": {"on_time_rate": 0.9}},
        actor=AUDITOR,
        now=NOW,
    )


def test_the_grid_is_data_with_criteria_the_ledger_documents_and_others() -> None:
    assert CURRENT_GRID.version == "v1"
    assert "response_72h" in CURRENT_GRID.codes
    assert {c.evidence for c in CURRENT_GRID.criteria} == {True, False}
    with pytest.raises(InvalidInput):
        FlashAudit.open(structure_id=uuid4(), evidence={"nope": {}}, actor=AUDITOR, now=NOW)


def test_an_audit_closes_once_every_criterion_is_assessed_conform_without_not_met() -> None:
    audit = opened()
    with pytest.raises(InvalidInput) as unknown:
        audit.assess("nope", Result.MET, None, actor=AUDITOR, now=NOW)
    assert unknown.value.field == "criterion"
    audit.assess("response_72h", Result.NOT_MET, "trop de retards", actor=AUDITOR, now=NOW)
    with pytest.raises(RuleViolation) as incomplete:
        audit.close(actor=AUDITOR, now=NOW)
    assert incomplete.value.code == "audit_incomplete"
    for code in audit.missing:
        audit.assess(code, Result.MET, None, actor=AUDITOR, now=NOW)
    audit.assess("response_72h", Result.PARTLY_MET, "en progrès", actor=AUDITOR, now=NOW)
    audit.close(actor=AUDITOR, now=NOW)
    assert audit.conform is True
    assert audit.results["response_72h"]["remark"] == "en progrès"
    with pytest.raises(RuleViolation) as closed:
        audit.assess("signage", Result.MET, None, actor=AUDITOR, now=NOW)
    assert closed.value.code == "audit_closed"
