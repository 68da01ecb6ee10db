"""Mounts the dashboard on the API's FastAPI app: static files, the offline API docs, the pages,
HTML error pages and the security headers of every page."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.web.pages import channels, fulfilment, inventory, login, money, orders, overview, phone, returns, settings
from conveyor.web.session import LoginRequired
from conveyor.web.templating import HERE, templates

VENDOR = "/static/vendor"
# Pages load scripts and styles from this server only (the vendored copies); styles may be inline
# (small layout tweaks), scripts never. /docs is Swagger UI's own page, which starts itself inline.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
NOT_PAGES = ("/api/", "/static/", "/docs", "/openapi.json", "/healthz", "/readyz")


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (login, overview, orders, money, returns, phone, inventory, fulfilment, channels, settings):
        app.include_router(module.router)
    app.add_api_route("/docs", _docs, include_in_schema=False)
    app.add_exception_handler(LoginRequired, _to_login)  # type: ignore[arg-type]

    app.add_middleware(PageHeaders)


# Set on every dashboard page unless the page set its own.
PAGE_HEADERS = (("Content-Security-Policy", PAGE_POLICY), ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "same-origin"), ("X-Content-Type-Options", "nosniff"),
                ("Cache-Control", "no-store"))


class PageHeaders:
    """The security headers and the server's time (Server-Timing, for the browser's developer tools
    and the benchmark) on every dashboard page. A plain ASGI middleware that lets API requests
    straight through: Starlette's `@app.middleware("http")` would cost every API call a task group
    and a streamed copy of its body (about a tenth of the event loop's CPU on the placement path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
                for name, value in PAGE_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


async def _docs() -> HTMLResponse:
    """Swagger UI from the vendored swagger-ui-dist: renders with no request leaving this server."""
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Conveyor API",
                               swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
                               swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
                               swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
                               swagger_ui_parameters={"validatorUrl": None})


async def _to_login(request: Request, _: LoginRequired) -> Response:
    if request.method == "GET" and not request.headers.get("hx-request"):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    # A POST (or an htmx call) from an expired session: its data can't survive a login round trip.
    return error_page(request, 401, "Your session has ended: log in again.")


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """The HTML answer to a failed page request (the API's problem+json stays for /api)."""
    return templates.TemplateResponse(request, "error.html", {"who": None, "nav": [], "flash": None,
                                                              "status": status, "detail": detail},
                                      status_code=status)
