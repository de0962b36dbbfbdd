"""Read models built from the notification log: SLA, audit trail, breaches, mandates, alerts,
quarterly reporting, retention, integrity, satisfaction, complaints,
referents, flash audits.

Views are SQL tables beside the events, built only from events by ``runner.ProjectionRunner``,
queried with plain SQL, and rebuildable from zero. They never hold personal data: the runner
decodes events without any envelope key, so sealed fields reach the handlers as ``None``; the
views that read most of the log (``sla``, ``audit_trail``, ``quarterly``, ``retention``) build
their rows from the stored values of their own fields (``stored``), none of them sealed.
"""

from projections.alerts import alerts as _alerts
from projections.audit import audit as _audit
from projections.audits import flash_audits as _flash_audits
from projections.base import Projection
from projections.breaches import breaches as _breaches
from projections.complaints import complaints as _complaints
from projections.integrity import integrity as _integrity
from projections.mandates import mandates as _mandates
from projections.quarterly import quarterly as _quarterly
from projections.referents import referents as _referents
from projections.retention import retention as _retention
from projections.satisfaction import satisfaction as _satisfaction
from projections.sla_view import sla as _sla
from projections.structures import structures as _structures

ALL: tuple[Projection, ...] = (
    _sla,
    _audit,
    _breaches,
    _mandates,
    _alerts,
    _quarterly,
    _retention,
    _structures,
    _integrity,
    _satisfaction,
    _complaints,
    _referents,
    _flash_audits,
)

# Logical table name -> real table: the names queries use, as ``ledger migrate`` created them.
VIEW_TABLES = {table: table for projection in ALL for table in projection.tables}
