"""The Ledger: eventsourcing's application on the store it is given, and one command group per
aggregate (``ledger.requests.respond``, ``ledger.mandates.sign_mandate``...)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, Mapper
from eventsourcing.utils import Environment

from application.alerts import AlertCommands
from application.audits import AuditCommands
from application.breaches import BreachCommands
from application.complaints import ComplaintCommands
from application.mandates import MandateCommands
from application.personal_data import PersonalDataCommands
from application.ports import EnvelopeKeys, StoreParts
from application.referents import ReferentCommands
from application.requests import RequestCommands
from application.satisfaction import SatisfactionCommands
from application.structures import StructureCommands
from application.unit import Unit
from domain.policy import Policy


class Ledger(Application[UUID]):
    name = "Ledger"

    def __init__(self, store: StoreParts, *, policy: Policy | None = None) -> None:
        self.store = store
        super().__init__()
        self.policy = policy or Policy()
        self.keys: EnvelopeKeys = store.keys
        self.positions = store.positions
        self.committer = store.committer(self.save)
        unit = Unit(self.repository, self.committer, self.save, self.keys, self.policy)
        self.structures = StructureCommands(unit)
        self.requests = RequestCommands(unit)
        self.mandates = MandateCommands(unit)
        self.breaches = BreachCommands(unit)
        self.alerts = AlertCommands(unit)
        self.personal_data = PersonalDataCommands(unit)
        self.satisfaction = SatisfactionCommands(unit)
        self.complaints = ComplaintCommands(unit)
        self.referents = ReferentCommands(unit)
        self.audits = AuditCommands(unit)

    # The store's parts come from the composition root, not from the environment.

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        return self.store.factory

    def construct_mapper(self) -> Mapper[UUID]:
        return self.store.mapper

    def construct_recorder(self) -> ApplicationRecorder:
        return self.store.recorder

    def construct_env(self, name: str, env: Any = None) -> Environment:
        """Nothing read from ``os.environ``: ``Settings`` is the one reader of the environment."""
        return Environment(name, {})
