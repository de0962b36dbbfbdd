"""The console: French pages for advisers, supervisors, DPOs and administrators, served by the
API process under ``/console`` (docs/console.md). Server-rendered HTML and CSS, no script; every
asset served by the application itself (an intranet has no internet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.console import admin, cases, evaluation, oversight, web
from api.console.web import HOME, Anyone, Refused, SignInRequired, check_csrf

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/connexion")
def sign_in_form(request: Request) -> Response:
    return web.sign_in_page(request)


@router.post("/connexion")
def sign_in(
    request: Request,
    jeton: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    suite: Annotated[str, Form()] = "",
) -> Response:
    return web.sign_in(request, jeton, csrf, suite)


@router.post("/deconnexion")
def sign_out(request: Request, console: Anyone, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(console, csrf)
    return web.sign_out(request, console)


@router.get("/")
def home(console: Anyone) -> Response:
    return RedirectResponse(HOME[console.caller.role], status_code=303)


def install(app: FastAPI) -> None:
    for module in (
        router,
        cases.router,
        oversight.router,
        admin.router,
        evaluation.router,
        evaluation.public,
    ):
        app.include_router(module)
    app.mount("/console/static", StaticFiles(directory=web.HERE / "static"), name="console-static")

    @app.exception_handler(SignInRequired)
    def signed_out(_: Request, error: SignInRequired) -> Response:
        return web.to_sign_in(error.next_path)

    @app.exception_handler(Refused)
    def refused(request: Request, error: Refused) -> Response:
        return web.error_page(request, error.status, error.code)

    app.add_middleware(ConsoleHeaders)


class ConsoleHeaders:
    """The console's security headers on every answer under ``/console`` (pages, redirects,
    static files); a plain ASGI wrapper, so the API's own calls pay nothing for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(("/console", "/avis/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in web.SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def html_error(request: Request, status: int, code: str) -> Response | None:
    """The API's refusals (404 of another structure's case, 409 of a rule...) on a console
    path, as a French page instead of a problem document."""
    if not request.url.path.startswith("/console"):
        return None
    return web.error_page(request, status, code)
