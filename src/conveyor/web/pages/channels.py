"""Channels: the health of each (last delivery received, failures, orders held for SKUs nobody has
mapped) and one-click map-and-release: map the channel's SKU to ours and release every order held
for it, in one transaction (channels.handlers.map_and_release)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.bootstrap import Container
from conveyor.channels import handlers, skumap
from conveyor.channels.service import list_channels, payload_health
from conveyor.orders.queries import count_by_channel_status, held_unmapped_skus
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import page, redirect

router = APIRouter(include_in_schema=False)


def health(c: Container) -> list[dict[str, Any]]:
    with c.reader() as uow:
        seen = payload_health(uow, utcnow() - timedelta(days=1))
        held = count_by_channel_status(uow, "on_hold")
        return [{"channel": ch, "health": seen.get(ch.id), "held": held.get(ch.id, 0),
                 "unmapped": held_unmapped_skus(uow, ch.id)} for ch in list_channels(uow)]


@router.get("/channels", response_class=HTMLResponse)
async def channels(request: Request, who: Viewer = Depends(allowed("channels:read"))) -> HTMLResponse:
    found = await run_in_threadpool(health, container_of(request))
    return page(request, who, "channels.html", channels=found)


@router.post("/channels/{code}/map")
async def map_and_release(code: str, request: Request, p: Posted = Depends(posted("channels:write"))) -> Response:
    who, form = p
    channel_sku, sku = form.get("channel_sku", "").strip()[:100], form.get("sku", "").strip()[:100]
    if not channel_sku or not sku:
        return redirect(request, "/channels", "Name the SKU to map to.", "error")
    c = container_of(request)
    try:
        done = await run_in_threadpool(handlers.map_and_release, c, code, skumap.Mapping(channel_sku, sku, ""),
                                       who.actor)
    except DomainError as exc:
        return redirect(request, "/channels", exc.detail, "error")
    message = f"Mapped {channel_sku} to {sku}: {len(done.released)} order(s) released"
    if done.still_held:
        message += f", {len(done.still_held)} still held for something else"
    return redirect(request, "/channels", message + ".")
