"""One hierarchy for every refusal of the ledger.

Each error carries a machine ``code``; the API maps the three families to HTTP statuses:
``InvalidInput`` -> 422 (with the ``field``), ``NotFound`` -> 404, ``RuleViolation`` -> 409.
Messages never contain personal data.
"""

from __future__ import annotations

from collections.abc import Callable


class LedgerError(Exception):
    code = "ledger_error"

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.errors: list[LedgerError] = []
        if code is not None:
            self.code = code


class InvalidInput(LedgerError):
    """The command is malformed or incomplete: nothing was recorded (HTTP 422)."""

    code = "invalid_input"


class MandatePreconditionMissing(InvalidInput):
    """A precondition of Art. 4.6 for signing a mandate is not met."""

    code = "mandate_precondition_missing"


def every_problem(checks: list[Callable[[], object]]) -> list[InvalidInput]:
    """Runs every check and keeps what each refused, so that a body's problems are named at once
    (a check that depends on another's result is the caller's to skip)."""
    found: list[InvalidInput] = []
    for check in checks:
        try:
            check()
        except InvalidInput as problem:
            found.extend(e for e in problem.errors if isinstance(e, InvalidInput))
            if not problem.errors:
                found.append(problem)
    return found


def refuse_all(problems: list[InvalidInput]) -> None:
    """Raises the first problem, carrying all of them (``errors``), if there is any."""
    if not problems:
        return
    first = problems[0]
    combined = type(first)(first.detail, field=first.field, code=first.code)
    combined.errors = list(problems)
    raise combined


class LateReasonRequired(InvalidInput):
    code = "late_reason_required"


class NotFound(LedgerError):
    code = "not_found"


class RuleViolation(LedgerError):
    """The command is well formed but a business rule forbids it (HTTP 409)."""

    code = "rule_violation"


class MandateRequired(RuleViolation):
    code = "mandate_required"


class MandateOtherPerson(RuleViolation):
    code = "mandate_other_person"


class DestructionReasonMismatch(RuleViolation):
    code = "destruction_reason_mismatch"


class MandateRevoked(RuleViolation):
    code = "mandate_revoked"


class MandateExpired(RuleViolation):
    code = "mandate_expired"


class MandateOutOfScope(RuleViolation):
    code = "mandate_out_of_scope"


class RequestResolved(RuleViolation):
    code = "request_resolved"


class PersonalDataDestroyedError(RuleViolation):
    code = "personal_data_destroyed"


class BreachStateError(RuleViolation):
    code = "breach_state"


class VersionConflict(RuleViolation):
    """Someone else changed the aggregate since the caller read it."""

    code = "version_conflict"
