"""Every stored event class of the domain, found by walking the aggregates."""

from __future__ import annotations

import dataclasses

from domain.access import DataAccess
from domain.alert import Alert
from domain.audit_flash import FlashAudit
from domain.breach import Breach
from domain.complaint import Complaint
from domain.mandate import Mandate
from domain.referent import Referent
from domain.request import Request
from domain.satisfaction import SatisfactionAnswer, SurveyLink
from domain.structure import Structure

AGGREGATES = (
    Structure,
    Request,
    Mandate,
    Breach,
    Alert,
    DataAccess,
    SatisfactionAnswer,
    SurveyLink,
    Complaint,
    Referent,
    FlashAudit,
)


def event_classes() -> dict[str, type]:
    return {
        f"{aggregate.__name__}.{name}": cls
        for aggregate in AGGREGATES
        for name, cls in vars(aggregate).items()
        if isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and name not in ("Event", "Created")
    }
