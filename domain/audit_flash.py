"""ANCT "flash" conformity audits (Art. 4.7): an audit of one structure against the grid's
criteria (``domain/data/anct-grid-<version>.json``, versioned). The ledger pre-fills, when the
audit opens, the evidence it holds for each criterion it can (counts only, kept in the audit as
they were that day); the auditor records each criterion's result and a remark, then closes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any, cast
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import LedgerAggregate
from domain.errors import InvalidInput, RuleViolation
from domain.validation import require_text


class Result(StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    evidence: bool  # whether the ledger holds evidence for it


@dataclass(frozen=True)
class Grid:
    version: str
    title: str
    criteria: tuple[Criterion, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.criteria)


def _load(version: str) -> Grid:
    text = resources.files("domain").joinpath(f"data/anct-grid-{version}.json").read_text()
    data = json.loads(text)
    return Grid(
        version=data["version"],
        title=data["title"],
        criteria=tuple(
            Criterion(code=c["code"], label=c["label"], evidence=c["evidence"])
            for c in data["criteria"]
        ),
    )


GRIDS = {grid.version: grid for grid in (_load("v1"),)}
CURRENT_GRID = GRIDS["v1"]


class FlashAudit(LedgerAggregate):
    def __init__(self, structure_id: UUID, grid: str, evidence: dict[str, Any]) -> None:
        self.structure_id = structure_id
        self.grid = grid
        self.evidence = evidence
        self.results: dict[str, dict[str, Any]] = {}
        self.closed_at: datetime | None = None
        self.conform: bool | None = None

    class Opened(LedgerAggregate.Created):
        structure_id: UUID
        grid: str
        evidence: dict[str, Any]

    class CriterionAssessed(LedgerAggregate.Event):
        """A remark is about the structure's service, never about a person."""

        criterion: str
        result: str
        remark: str | None

        def apply(self, aggregate: Any) -> None:
            cast(FlashAudit, aggregate).results[self.criterion] = {
                "result": self.result,
                "remark": self.remark,
                "at": self.timestamp,
                "by": self.actor.name,
            }

    class Closed(LedgerAggregate.Event):
        at: datetime
        conform: bool

        def apply(self, aggregate: Any) -> None:
            audit = cast(FlashAudit, aggregate)
            audit.closed_at, audit.conform = self.at, self.conform

    @classmethod
    def open(
        cls, *, structure_id: UUID, evidence: dict[str, Any], actor: Actor, now: datetime
    ) -> FlashAudit:
        unknown = sorted(set(evidence) - set(CURRENT_GRID.codes))
        if unknown:
            raise InvalidInput(f"{unknown[0]} is not a criterion of the grid", field="evidence")
        return cls._create(
            cls.Opened,
            id=uuid4(),
            timestamp=now,
            actor=actor,
            structure_id=structure_id,
            grid=CURRENT_GRID.version,
            evidence=evidence,
        )

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return GRIDS[self.grid].criteria

    def _check_open(self) -> None:
        if self.closed_at is not None:
            raise RuleViolation("this audit is closed", code="audit_closed")

    def assess(
        self, criterion: str, result: Result, remark: str | None, *, actor: Actor, now: datetime
    ) -> None:
        self._check_open()
        if criterion not in GRIDS[self.grid].codes:
            raise InvalidInput("not a criterion of this audit's grid", field="criterion")
        self.trigger_event(
            self.CriterionAssessed,
            timestamp=now,
            actor=actor,
            criterion=criterion,
            result=result.value,
            remark=require_text(remark, "remark", 1000) if remark else None,
        )

    @property
    def missing(self) -> list[str]:
        return [code for code in GRIDS[self.grid].codes if code not in self.results]

    def close(self, *, actor: Actor, now: datetime) -> None:
        """Once every criterion is assessed; conform when none is ``not_met``."""
        self._check_open()
        if self.missing:
            raise RuleViolation(
                f"criteria not assessed: {', '.join(self.missing)}",
                field="criterion",
                code="audit_incomplete",
            )
        conform = all(r["result"] != Result.NOT_MET for r in self.results.values())
        self.trigger_event(self.Closed, timestamp=now, actor=actor, at=now, conform=conform)
