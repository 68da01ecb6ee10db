"""The inbound webhook URL and the raw payloads behind it.

`POST /channels/{code}/inbound` takes no API key: platforms cannot send one. It is
authenticated by the platform's own signature over the raw body instead (Shopify
X-Shopify-Hmac-Sha256, WooCommerce X-WC-Webhook-Signature, BigCommerce signed callbacks or
the secret header), checked against the channel's `webhook_secret` before anything is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.personal import raw_body_view
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels.inbound import receive_webhook
from conveyor.channels.model import InboundPayload
from conveyor.channels.service import get_channel

router = APIRouter()


@router.post("/{code}/inbound", status_code=201, responses={
    200: {"description": "a repeated delivery or a WooCommerce ping"},
    401: {"description": "signature missing or not valid; nothing stored"},
    422: {"description": "stored, but not parseable or the order was refused"}})
async def inbound(code: str, request: Request, c: Container = Depends(container)) -> JSONResponse:
    """A platform webhook, exactly as sent. Authenticated by the platform's signature, not an API key."""
    raw = await request.body()
    outcome = await run_in_threadpool(receive_webhook, c, code, raw, dict(request.headers))
    return JSONResponse(outcome.body, status_code=outcome.status_code)


class PayloadOut(BaseModel):
    id: str
    received_at: str
    source: str
    delivery_id: str | None
    status: str
    error: str
    problems: list[str]
    external_id: str | None
    order_id: str | None
    headers: dict[str, str]
    body: str


@router.get("/{code}/payloads", response_model=list[PayloadOut])
def payloads(code: str, status: Annotated[str | None, Query(pattern=r"^(received|parsed|held|ignored|failed)$")] = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50, before: str | None = None,
             who: Principal = Depends(require("channels:read")), c: Container = Depends(container)) -> list[PayloadOut]:
    """What the channel sent, newest first: to see why a delivery failed or was held. Personal data
    in the bodies is masked for callers without `pii:read`."""
    with c.reader() as uow:
        channel = get_channel(uow, code)
        query = select(InboundPayload).where(InboundPayload.channel_id == channel.id)
        if status:
            query = query.where(InboundPayload.status == status)
        if before:
            query = query.where(InboundPayload.id < before)
        rows = uow.session.scalars(query.order_by(InboundPayload.id.desc()).limit(limit))
        return [PayloadOut(id=p.id, received_at=str(p.received_at), source=p.source, delivery_id=p.delivery_id,
                           status=p.status, error=p.error, problems=p.problems or [], external_id=p.external_id,
                           order_id=p.order_id, headers=p.headers or {},
                           body=raw_body_view(who, "channel payload", p.order_id,
                                              bytes(p.body).decode("utf-8", "replace"))) for p in rows]
