"""What supervisors and DPOs read from the views: SLA dashboard, quarterly report,
audit trail and integrity. Exports stream page by page, on a connection of their own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from api.console.yearly_pdf import yearly_pdf
from api.deps import Call, Dpo, ReportReader, Services, Supervisor
from api.instants import canonical
from api.problems import JSON_CSV_OR_PDF, JSON_OR_CSV, ApiError
from api.schemas.common import Instant
from api.scoping import scoped_structure
from application.authorization import Role
from domain.structure import structure_uuid
from domain.validation import FIRST_YEAR, LAST_YEAR
from projections import VIEW_TABLES, audit, quarterly, yearly
from projections.db import Tx, csv_chunks
from projections.sla_queries import dashboard

router = APIRouter(tags=["oversight"])
Format = Literal["json", "csv"]
EPOCH, FOREVER = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)
QUARTER = r"^20\d{2}-Q[1-4]$"  # the years instants may have (2000-2099)


def _view_id(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        return UUID(value).hex
    except ValueError:
        raise ApiError(422, "invalid_input", f"{field} is not an id", field) from None


def _stream(
    services: Services, produce: Callable[[Tx], Iterable[str]], media_type: str, name: str
) -> StreamingResponse:
    def body() -> Iterator[str]:
        db = services.open_views()
        try:
            with db.streaming(VIEW_TABLES) as tx:
                yield from produce(tx)
        finally:
            db.close()

    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body(), media_type=media_type, headers=headers)


def json_array(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for i, item in enumerate(items):
        yield ("," if i else "") + json.dumps(canonical(item))
    yield "]"


@router.get("/v1/dashboards/sla")
def sla_dashboard(
    call: Supervisor,
    structure_id: Annotated[str | None, Query()] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    partner: Annotated[str | None, Query(max_length=64)] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Requests received in [from, to) (default: everything to date) with the 72 h rule."""
    view_id = scoped_structure(call, structure_id)
    with call.services.reading() as tx:
        counts = dashboard(
            tx,
            start=start or EPOCH,
            end=end or FOREVER,
            now=call.now,
            structure_id=view_id,
            partner=partner,
            channel=channel,
        )
    return {"structure_id": structure_id or next(iter(call.caller.structures)), **counts}


@router.get("/v1/reports/quarterly", response_model=None, responses=JSON_OR_CSV)
def quarterly_report(
    call: Supervisor,
    quarter: Annotated[str, Query(pattern=QUARTER, examples=["2026-Q2"])],
    structure_id: Annotated[str | None, Query()] = None,
    format: Annotated[Format, Query()] = "json",
) -> dict[str, Any] | StreamingResponse:
    """Counts only (no personal data): JSON summary, or the detailed counts as CSV."""
    view_id = scoped_structure(call, structure_id)
    code = structure_id or next(iter(call.caller.structures))
    if format == "csv":
        return _stream(
            call.services,
            lambda tx: csv_chunks(quarterly.csv_lines(tx, quarter, view_id)),
            "text/csv",
            f"quarterly-{code}-{quarter}.csv",
        )
    with call.services.reading() as tx:
        report = quarterly.report(tx, view_id, quarter, call.now)
    return report | {"structure_id": code}


def yearly_of(call: Call, year: int) -> dict[str, Any]:
    """The year's report as the caller may read it: a supervisor's structures without the data
    controller's breaches, or every structure with them for a DPO or an admin."""
    scope = None
    if call.caller.role == Role.SUPERVISOR:
        scope = [structure_uuid(code).hex for code in sorted(call.caller.structures)]
    with call.services.reading() as tx:
        return yearly.yearly_report(tx, year, call.now, scope)


def yearly_download(report: dict[str, Any], format: str, now: datetime) -> Response:
    """The report as a file: CSV (open data) or PDF (the steering committee's)."""
    name = f"rapport-annuel-{report['year']}"
    if format == "csv":
        body: str | bytes = "".join(csv_chunks(yearly.csv_lines(report)))
        media = "text/csv; charset=utf-8"
    else:
        body, media = yearly_pdf(report, now), "application/pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{format}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/v1/reports/yearly", response_model=None, responses=JSON_CSV_OR_PDF)
def yearly_report(
    call: ReportReader,
    year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR)],
    format: Annotated[Literal["json", "csv", "pdf"], Query()] = "json",
) -> dict[str, Any] | Response:
    """The yearly report (Art. 4.7 and 6): per structure and department, counts only. A
    supervisor gets their structures; a DPO or an admin every structure and the breaches."""
    report = yearly_of(call, year)
    if format == "json":
        return report
    return yearly_download(report, format, call.now)


@router.get("/v1/audit/events", response_model=None, responses=JSON_OR_CSV)
def audit_events(
    call: Dpo,
    request_id: Annotated[str | None, Query()] = None,
    mandate_id: Annotated[str | None, Query()] = None,
    envelope_id: Annotated[str | None, Query()] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    format: Annotated[Format, Query()] = "json",
) -> StreamingResponse:
    """Every event and every recorded read of personal data; no personal data. Streamed."""
    filters: dict[str, Any] = {
        "request_id": _view_id(request_id, "request_id"),
        "mandate_id": _view_id(mandate_id, "mandate_id"),
        "envelope_id": _view_id(envelope_id, "envelope_id"),
        "actor": actor,
        "start": start,
        "end": end,
    }
    if format == "csv":
        return _stream(
            call.services,
            lambda tx: csv_chunks(canonical(line) for line in audit.csv_lines(tx, **filters)),
            "text/csv",
            "audit.csv",
        )
    return _stream(
        call.services,
        lambda tx: json_array(audit.entries(tx, **filters)),
        "application/json",
        "audit.json",
    )


@router.get("/v1/audit/integrity")
def integrity(call: Dpo) -> dict[str, Any]:
    """The hash chain as the integrity view last checked it (``ledger verify`` rechecks all)."""
    status = next(v for v in call.services.runner.status() if v.view == "integrity")
    with call.services.reading() as tx:
        row = tx.one("SELECT position FROM {integrity} WHERE singleton = 1")
    verified = int(row[0]) if row else 0
    return {
        "ok": status.status == "ok",
        "verified_through": verified,
        "first_bad_position": status.failed_position,
        "lag": status.lag,
    }
