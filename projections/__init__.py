"""Read models built from the notification log: SLA, audit trail, breaches, mandates, integrity.

Views are SQL tables beside the events, built only from events by ``runner.ProjectionRunner``,
queried with plain SQL, and rebuildable from zero. They never hold personal data: the runner
decodes events without any envelope key, so sealed fields reach the handlers as ``None``.
"""

from projections.audit import audit
from projections.base import Projection
from projections.breaches import breaches
from projections.integrity import integrity
from projections.mandates import mandates
from projections.sla import sla

ALL: tuple[Projection, ...] = (sla, audit, breaches, mandates, integrity)
