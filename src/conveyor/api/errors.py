"""Every failure leaves as RFC 9457 application/problem+json with a stable `code`.
Domain error codes map to HTTP statuses here, and only here."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from conveyor.shared.context import request_id
from conveyor.shared.errors import DomainError, ErrorCode

log = structlog.get_logger("conveyor.api")
RETRY_AFTER_SECONDS = 2

STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.MALFORMED_JSON: 400,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.INSUFFICIENT_STOCK: 409,
    ErrorCode.ILLEGAL_TRANSITION: 409,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.UNKNOWN_SKU: 422,
    ErrorCode.INACTIVE_SKU: 422,
    ErrorCode.UNKNOWN_LOCATION: 422,
    ErrorCode.UNKNOWN_CHANNEL: 422,
    ErrorCode.UNKNOWN_CURRENCY: 422,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: 409,
    ErrorCode.INVALID_QUANTITY: 422,
    ErrorCode.INVALID_CURSOR: 400,
    ErrorCode.INVALID_RULE: 422,
    ErrorCode.BUSY: 503,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.INVALID_SIGNATURE: 401,
    ErrorCode.UNPARSEABLE_PAYLOAD: 422,
    ErrorCode.CHANNEL_UNAVAILABLE: 502,
    ErrorCode.INTERNAL: 500,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVICE_UNAVAILABLE: 422,
    ErrorCode.INVALID_TRACKING_NUMBER: 422,
    ErrorCode.CARRIER_ERROR: 502,
    ErrorCode.SCAN_REFUSED: 422,
    ErrorCode.NO_SHIPPING_ADDRESS: 422,
    ErrorCode.CAPTURE_EXCEEDS_AUTHORIZED: 409,
    ErrorCode.REFUND_EXCEEDS_CAPTURED: 409,
    ErrorCode.AUTHORIZATION_EXPIRED: 409,
    ErrorCode.PAYMENT_STATE: 409,
    ErrorCode.CURRENCY_MISMATCH: 422,
    ErrorCode.RETURN_NOT_ALLOWED: 422,
    ErrorCode.RETURN_LINK_EXPIRED: 410,
    ErrorCode.UNBALANCED_TRANSACTION: 500,
    ErrorCode.INVALID_DOCUMENT_NUMBER: 422,
    # buy and plan
    ErrorCode.OVER_RECEIPT: 409,
    ErrorCode.UNKNOWN_SUPPLIER: 422,
}

PROBLEM = "application/problem+json"


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": f"https://conveyor.dev/problems/{code}", "title": code.replace("_", " "),
            "status": status, "code": code, "detail": detail, **extra}
    if (rid := request_id()) is not None:
        body.setdefault("request_id", rid)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers or None)


RESERVED = frozenset({"type", "title", "status", "code", "detail", "headers", "request_id"})


def _extra_fields(extra: dict[str, Any]) -> dict[str, Any]:
    """A domain error's context never overwrites the problem's own members (`status=` naming the
    status filter a caller sent once turned a 422 into a 500)."""
    return {(f"given_{k}" if k in RESERVED else k): v for k, v in extra.items()}


def _validation(exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(400, ErrorCode.MALFORMED_JSON, "the request body is not valid JSON", errors=errors)
    return problem(422, ErrorCode.VALIDATION_ERROR, "the request is not valid", errors=errors)


# The dashboard's HTML error page: (is this path a page?, render(request, status, detail)).
PageErrors = tuple[Callable[[str], bool], Callable[[Request, int, str], Response]]


def install(app: FastAPI, pages: PageErrors | None = None) -> None:
    """Map errors to problem+json; a browser asking for a dashboard page (when `pages` is given)
    gets an HTML page instead. Clients that don't ask for HTML keep getting problem+json."""

    def as_page(request: Request) -> bool:
        wants_html = "text/html" in request.headers.get("accept", "")
        return pages is not None and wants_html and pages[0](request.url.path)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        status = STATUS.get(exc.code, 400)
        if pages is not None and as_page(request):
            return pages[1](request, status, exc.detail)
        return problem(status, exc.code, exc.detail, **_extra_fields(exc.extra))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(exc)

    @app.exception_handler(csv.Error)
    async def _unreadable_csv(request: Request, exc: csv.Error) -> Response:
        # Raised by the csv module while an endpoint reads an uploaded file (a field over its
        # 128 kB limit, a stray quote or carriage return): the caller's file, not our fault.
        detail = f"the body is not readable as CSV: {exc}"
        if pages is not None and as_page(request):
            return pages[1](request, 422, detail)
        return problem(422, ErrorCode.VALIDATION_ERROR, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if pages is not None and as_page(request):
            return pages[1](request, exc.status_code, str(exc.detail))
        if exc.status_code == 405:
            exc.headers = {**(exc.headers or {}), "Allow": _allowed_methods(request)}
        code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED, 401: ErrorCode.UNAUTHORIZED,
                403: ErrorCode.FORBIDDEN, 413: ErrorCode.PAYLOAD_TOO_LARGE}.get(exc.status_code, "http_error")
        detail = str(exc.detail)
        if exc.status_code == 400:
            # FastAPI's only 400: the body could not be decoded at all (not UTF-8, or nested so deep
            # that the JSON parser gave up) - to the caller that is malformed JSON like any other.
            code, detail = ErrorCode.MALFORMED_JSON, "the request body is not valid JSON (or nests too deeply)"
        # Keep the exception's headers: a 405 must name the allowed methods (Allow).
        return problem(exc.status_code, code, detail, headers=exc.headers)


def _is_unavailable(exc: Exception) -> bool:
    """Connection refused, dropped or timed out, or no pooled connection free in time."""
    if isinstance(exc, PoolTimeout | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc, OperationalError))


def answer_failure(exc: Exception) -> JSONResponse:
    """The one answer to an exception nothing else handled: 503 with Retry-After when the database
    is unreachable, else 500. Logged once, as structured JSON without local variables (logs.py
    redacts what remains). Call it from a worker thread, never on the event loop."""
    if _is_unavailable(exc):
        log.warning("database unavailable", error_type=type(exc).__name__)
        return problem(503, ErrorCode.DATABASE_UNAVAILABLE, "the database is unavailable; retry shortly")
    log.error("unhandled error", error_type=type(exc).__name__, error=str(exc)[:2000], exc_info=exc)
    return problem(500, ErrorCode.INTERNAL, "an unexpected error occurred; it has been logged")


def _allowed_methods(request: Request) -> str:
    """Every method the API serves at this path (Starlette names only the first route's).
    Built once from the OpenAPI document, which lists every operation by path template."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = [(path, re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"),
                  {m.upper() for m in ops})
                 for path, ops in request.app.openapi()["paths"].items()]
        request.app.state.allowed_methods = table
    path = request.url.path
    matching = [(template.count("{"), m) for template, pattern, m in table if pattern.match(path)]
    # `/sku-map/import` is its own resource, not `/sku-map/{channel_sku}`: the fewest parameters win.
    fewest = min((n for n, _ in matching), default=0)
    return ", ".join(sorted(set().union(*(m for n, m in matching if n == fewest))))
