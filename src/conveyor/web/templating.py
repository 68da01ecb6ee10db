"""Jinja2 templates and the filters pages share (money, times, statuses), and the flash message."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from conveyor.shared.clock import as_utc
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.money import format_minor
from conveyor.web.session import FLASH_COOKIE, Viewer, secure

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# The main navigation: (path, label, permission needed to see it).
NAV = [("/", "Overview", "orders:read"), ("/orders", "Orders", "orders:read"),
       ("/inventory", "Inventory", "inventory:read"), ("/fulfilment", "Fulfilment", "orders:read"),
       ("/returns", "Returns", "returns:read"), ("/channels", "Channels", "channels:read"),
       ("/settings", "Settings", "locations:read")]


def money(minor: int | None, currency: str) -> str:
    if minor is None:
        return "—"
    try:
        return f"{format_minor(minor, currency)} {currency}"
    except ValidationFailed:
        return f"{minor} {currency} (minor units)"


def when(value: datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["money"] = money
templates.env.filters["when"] = when
templates.env.filters["tojson_attr"] = lambda value: json.dumps(value, separators=(",", ":"))


def page(request: Request, who: Viewer | None, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    flash = _take_flash(request)
    nav = [(path, label) for path, label, permission in NAV if who is not None and who.can(permission)]
    response = templates.TemplateResponse(request, name, {"who": who, "nav": nav, "flash": flash, **context},
                                          status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _take_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, text = unquote(raw).partition(":")
    return {"kind": kind if kind in ("ok", "error") else "ok", "text": text[:500]}


def redirect(request: Request, to: str, message: str = "", kind: str = "ok") -> RedirectResponse:
    """After a POST: see the result page (303), with a one-time message shown there."""
    response = RedirectResponse(to, status_code=303)
    if message:
        response.set_cookie(FLASH_COOKIE, quote(f"{kind}:{message[:500]}"), httponly=True, samesite="lax",
                            secure=secure(request), path="/", max_age=60)
    return response
