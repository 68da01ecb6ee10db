"""Who is looking: the logged-in user of a request, the CSRF check of its forms, role checks.

The session cookie is HttpOnly and SameSite=Lax (Secure when the request came over https); the
CSRF token is the session's HMAC (auth/users.py). Forms are read here too: application/x-www-form-
urlencoded, parsed without a multipart dependency (the dashboard uploads no files)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from conveyor.auth import users
from conveyor.auth.roles import allows
from conveyor.bootstrap import Container
from conveyor.shared.errors import DomainError, ErrorCode

SESSION_COOKIE = "conveyor_session"
LOGIN_CSRF_COOKIE = "conveyor_login_csrf"
FLASH_COOKIE = "conveyor_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 200_000


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page (and back afterwards)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    user: users.UserView
    token: str
    csrf: str

    @property
    def actor(self) -> str:
        return f"user:{self.user.username}"

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, permission: str) -> bool:
        return allows(self.user.role, permission)

    def may(self, permission: str) -> bool:  # the API's spelling (api.personal.Reader)
        return self.can(permission)


def container_of(request: Request) -> Container:
    return request.app.state.container


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def viewer(request: Request) -> Viewer:
    """The logged-in user, or LoginRequired."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise LoginRequired()
    c = container_of(request)

    def find() -> users.UserView | None:
        with c.reader() as uow:
            return users.session_user(uow, token)

    user = await run_in_threadpool(find)
    if user is None:
        raise LoginRequired()
    return Viewer(user, token, users.csrf_token(c.settings.secret_key, token))


def allowed(permission: str | None):  # noqa: ANN201 - a FastAPI dependency
    """The viewer, who must hold `permission` (else 403; None: any logged-in user)."""

    async def check(who: Viewer = Depends(viewer)) -> Viewer:
        if permission is not None and not who.can(permission):
            raise DomainError(ErrorCode.FORBIDDEN, f"your role ({who.user.role}) may not "
                              f"{permission.replace(':', ' ')}", permission=permission)
        return who

    return check


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's fields (the last value of a repeated name; `form_lists` keeps them all)."""
    return {k: v[-1] for k, v in (await form_lists(request)).items()}


async def form_lists(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise DomainError(ErrorCode.PAYLOAD_TOO_LARGE, "the form is too large")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=2000)
    except (UnicodeDecodeError, ValueError):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "the form could not be read") from None


async def check_csrf(request: Request, who: Viewer, form: dict[str, str]) -> None:
    presented = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not users.csrf_valid(container_of(request).settings.secret_key, who.token, presented):
        raise DomainError(ErrorCode.FORBIDDEN, "the form's security token is missing or out of date: "
                          "reload the page and try again")


# What a POST route gets: who posted, and the form's fields (its CSRF token checked).
Posted = tuple["Viewer", dict[str, str]]


def posted(permission: str | None):  # noqa: ANN201 - a FastAPI dependency
    """For every POST: the viewer holds `permission` and the form carries the session's CSRF token.
    Yields (viewer, form fields)."""

    async def check(request: Request, who: Viewer = Depends(allowed(permission))) -> Posted:
        form = await read_form(request)
        await check_csrf(request, who, form)
        return who, form

    return check
