"""Log in and out."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.auth import handlers as auth
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.web.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Posted,
    container_of,
    posted,
    read_form,
    secure,
)
from conveyor.web.templating import page, templates

router = APIRouter(include_in_schema=False)


def _local(target: str | None) -> str:
    """Only a path of this site: a login link must not send anyone elsewhere afterwards."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_form(request: Request, next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    # Login CSRF (double submit): the form and a cookie carry the same random value.
    token = secrets.token_urlsafe(24)
    response = page(request, None, "login.html", status_code=status, next=_local(next_path), error=error,
                    csrf=token)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure(request),
                        path="/login", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _login_form(request, next)


@router.post("/login")
async def log_in(request: Request) -> Response:
    form = await read_form(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, form.get("csrf_token", "")):
        raise DomainError(ErrorCode.FORBIDDEN, "the login form's security token is missing or out of date: "
                          "reload the page and try again")
    c = container_of(request)
    try:
        _, token = await run_in_threadpool(auth.log_in, c, form.get("username", ""), form.get("password", ""))
    except DomainError as exc:
        if exc.code != ErrorCode.UNAUTHORIZED:
            raise
        return _login_form(request, form.get("next", "/"), "Wrong username or password.", status=401)
    response = RedirectResponse(_local(form.get("next")), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure(request), path="/",
                        max_age=int(c.settings.web_session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def log_out(request: Request, posted_: Posted = Depends(posted(None))) -> Response:
    who, _ = posted_
    await run_in_threadpool(auth.log_out, container_of(request), who.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


__all__ = ["router", "templates"]
