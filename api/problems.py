"""RFC 9457 problem details for every refusal, with a machine ``code`` and, for bad input, the
``field``. Bodies never echo what the caller sent: the field is named, its value is not."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api.schemas.common import Problem
from domain.errors import InvalidInput, LedgerError, NotFound, RuleViolation

PROBLEM = "application/problem+json"
log = structlog.get_logger()


class ApiError(Exception):
    """A refusal decided by the API itself (authentication, role, preconditions, size)."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.field = status, code, detail, field


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "a valid bearer token is required")


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "this role may not do this")


def problem(
    status: int,
    code: str,
    detail: str,
    field: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://france-services-ledger.example/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    if status == 401:
        headers = (headers or {}) | {"WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in (
        (401, "no valid token (`unauthorized`), or an expired one (`token_expired`)"),
        (403, "the token's role may not do this (`forbidden`)"),
        (404, "no such resource, or another structure's (`not_found`)"),
        (409, "a rule forbids it (the rule's `code`)"),
        (412, "`If-Match` names an outdated version (`precondition_failed`)"),
        (413, "the body is too large (`body_too_large`)"),
        (422, "bad input: `field` names it, `errors` lists every problem"),
    )
}


JSON_OR_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or CSV with `format=csv`",
        "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
    }
}
JSON_CSV_OR_PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, CSV with `format=csv`, PDF with `format=pdf`",
        "content": {
            "application/json": {},
            "text/csv": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every refusal answered as ``application/problem+json``."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.startswith("4") and "application/json" in content:
                    content[PROBLEM] = content.pop("application/json")
        app.openapi_schema = schema
    return app.openapi_schema


def status_of(error: LedgerError) -> int:
    if isinstance(error, InvalidInput):
        return 422
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, RuleViolation):
        return 409
    return 400


def _field(location: tuple[Any, ...]) -> str:
    """``("body", "user", "first_name")`` -> ``user.first_name``; list indexes as ``[i]``."""
    parts = list(location[1:]) if location and location[0] in ("body", "query", "path") else []
    if location and location[0] == "header":
        parts = [str(location[1]).replace("_", "-").title()]
    if not parts:
        return "body"
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _methods_of(request: Request) -> list[str]:
    """Every method some route serves at the request's path (Starlette names only the first
    route's when several routes share a path)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.PARTIAL:  # the path matches, the method does not
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


HtmlPage = Callable[[Request, int, str], Response | None]


def install(app: FastAPI, html: HtmlPage | None = None) -> None:
    """Every refusal as a problem document; on the console's paths, ``html`` renders it as a
    page instead (when it answers)."""

    def page(request: Request, status: int, code: str) -> Response | None:
        return html(request, status, code) if html else None

    @app.exception_handler(LedgerError)
    def ledger_error(request: Request, error: LedgerError) -> Response:
        """One problem; when the body had several, ``errors`` names each (field, code)."""
        if (shown := page(request, status_of(error), error.code)) is not None:
            return shown
        every = [{"field": e.field, "message": e.detail, "code": e.code} for e in error.errors]
        return problem(status_of(error), error.code, error.detail, error.field, errors=every)

    @app.exception_handler(ApiError)
    def api_error(request: Request, error: ApiError) -> Response:
        if (shown := page(request, error.status, error.code)) is not None:
            return shown
        if error.status == 422:  # bad input lists its problems, as every 422 does
            every = [{"field": error.field, "message": error.detail, "code": error.code}]
            return problem(422, error.code, error.detail, error.field, errors=every)
        return problem(error.status, error.code, error.detail, error.field)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, error: RequestValidationError) -> Response:
        if (shown := page(request, 422, "invalid_input")) is not None:
            return shown
        errors = [
            {
                "field": "body" if e["type"] == "json_invalid" else _field(tuple(e["loc"])),
                "message": str(e["msg"]).removeprefix("Value error, "),
                "code": "invalid_input",
            }
            for e in error.errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        return problem(
            422,
            "invalid_input",
            f"{first['field']}: {first['message']}",
            first["field"],
            errors=errors,
        )

    @app.exception_handler(HTTPException)
    def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404 and (shown := page(request, 404, "not_found")) is not None:
            return shown
        if error.status_code == 400:  # FastAPI's answer to a body it cannot decode (bad UTF-8)
            detail = "body: not a JSON text in UTF-8"
            errors = [{"field": "body", "message": detail, "code": "invalid_input"}]
            return problem(422, "invalid_input", detail, "body", errors=errors)
        code = HTTPStatus(error.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        # the framework's own headers stay; ``Allow`` names every method of the path (RFC 9110)
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_methods_of(request))
        description = HTTPStatus(error.status_code).description
        return problem(error.status_code, code, description, headers=headers or None)

    @app.exception_handler(500)
    def internal_error(_: Request, error: Exception) -> JSONResponse:
        """The last resort (a bug, the database gone): a problem body like every other answer,
        and one log line naming the error's type only (its message might quote stored data)."""
        log.error("unhandled_error", error=type(error).__name__)
        return problem(500, "internal_error", "the ledger could not answer; nothing was changed")
