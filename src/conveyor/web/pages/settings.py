"""Settings: locations, carriers, automation rules, webhooks with their delivery logs, API keys
and users. Each section shows for the roles that may read it; changes need the API's permission
for the same change (users and keys: `keys:manage`, admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.auth import handlers as auth
from conveyor.auth.service import list_keys
from conveyor.auth.users import USER_ROLES, list_users
from conveyor.automation.service import list_rules
from conveyor.bootstrap import Container
from conveyor.channels.service import list_channels
from conveyor.inventory.locations import list_locations
from conveyor.messaging.subscriptions import attempts_page, get_subscription, list_subscriptions
from conveyor.shared.errors import DomainError
from conveyor.shipping.service import carrier_records
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
KEY_ROLES = ("admin", "ops", "support", "channel", "readonly")


def read(c: Container, who: Viewer) -> dict[str, Any]:
    with c.reader() as uow:
        found: dict[str, Any] = {"locations": list_locations(uow), "carriers": carrier_records(uow)}
        if who.can("automation:read"):
            found["rules"] = list_rules(uow)
            found["webhooks"] = list_subscriptions(uow)
        if who.can("keys:manage"):
            found["users"] = list_users(uow)
            found["keys"] = list_keys(uow)
            found["channels"] = {ch.id: ch.code for ch in list_channels(uow)}
        return found


@router.get("/settings", response_class=HTMLResponse)
async def settings(request: Request, who: Viewer = Depends(allowed("locations:read"))) -> HTMLResponse:
    found = await run_in_threadpool(read, container_of(request), who)
    return page(request, who, "settings.html", user_roles=USER_ROLES, key_roles=KEY_ROLES, new_token=None, **found)


@router.get("/settings/webhooks/{subscription_id}", response_class=HTMLResponse)
async def deliveries(subscription_id: str, request: Request,
                     who: Viewer = Depends(allowed("automation:read"))) -> HTMLResponse:
    c = container_of(request)

    def read_log() -> dict[str, Any]:
        with c.reader() as uow:
            log = attempts_page(uow, subscription_id, 100, request.query_params.get("cursor"))
            return {"subscription": get_subscription(uow, subscription_id), "attempts": log.items,
                    "next_cursor": log.next_cursor}

    return page(request, who, "deliveries.html", **(await run_in_threadpool(read_log)))


async def _act(request: Request, work: Any, done: str) -> Response:
    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        return redirect(request, "/settings#users", exc.detail, "error")
    return redirect(request, "/settings#users", done)


@router.post("/settings/users")
async def create_user(request: Request, p: Posted = Depends(posted("keys:manage"))) -> Response:
    _, form = p
    c = container_of(request)
    try:
        user = await run_in_threadpool(auth.create_user, c, form.get("username", ""), form.get("password", ""),
                                       form.get("role", ""), form.get("name", "")[:200])
    except DomainError as exc:
        return redirect(request, "/settings#users", exc.detail, "error")
    return redirect(request, "/settings#users", f"User {user.username} created.")


@router.post("/settings/users/{user_id}")
async def update_user(user_id: str, request: Request, p: Posted = Depends(posted("keys:manage"))) -> Response:
    """Change a user's role, or deactivate / reactivate them (ends their sessions)."""
    _, form = p
    c = container_of(request)
    active = {"yes": True, "no": False}.get(form.get("active", ""))
    return await _act(request, lambda: auth.update_user(c, user_id, role=form.get("role") or None, active=active),
                      "User changed.")


@router.post("/settings/keys", response_class=HTMLResponse)
async def create_key(request: Request, p: Posted = Depends(posted("keys:manage"))) -> Response:
    """A new API key: its token is shown once, on this answer, never stored or shown again."""
    who, form = p
    c = container_of(request)
    try:
        _, token = await run_in_threadpool(auth.create_key, c, form.get("role", ""), form.get("name", "")[:100],
                                           form.get("channel") or None)
    except DomainError as exc:
        return redirect(request, "/settings#keys", exc.detail, "error")
    found = await run_in_threadpool(read, c, who)
    return page(request, who, "settings.html", status_code=201, user_roles=USER_ROLES, key_roles=KEY_ROLES,
                new_token=token, **found)


@router.post("/settings/keys/{key_id}/revoke")
async def revoke_key(key_id: str, request: Request, p: Posted = Depends(posted("keys:manage"))) -> Response:
    c = container_of(request)
    try:
        await run_in_threadpool(auth.revoke_key, c, key_id)
    except DomainError as exc:
        return redirect(request, "/settings#keys", exc.detail, "error")
    return redirect(request, "/settings#keys", "Key revoked.")
