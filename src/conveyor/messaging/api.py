"""Outbound webhook subscriptions and the outbox: endpoints for integrators and operators.

Subscriptions send every order's data to a URL, so managing them is for admins
(`webhooks:manage`); reading them and the delivery log is a staff read (`automation:read`);
replaying from the outbox is `automation:write` (admin, ops)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.personal import document_view
from conveyor.api.schemas import Patch, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.messaging import handlers, outbox_log, subscriptions
from conveyor.messaging.webhooks import DeliveryAttempt
from conveyor.shared.clock import as_utc
from conveyor.shared.handlers import Idempotency, Replayed

router = APIRouter(tags=["webhooks"])
Topics = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(min_length=1, max_length=50)]
Url = Annotated[str, Field(min_length=8, max_length=2000, examples=["https://example.com/hooks/conveyor"])]
Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=1000)]


class SubscriptionIn(Strict):
    url: Url
    topics: Topics = Field(description="Topic patterns: `order.shipped`, `order.*`, `*.cancelled`, `*`")
    description: Annotated[str, Field(max_length=200)] = ""
    secret: Annotated[str, Field(min_length=16, max_length=200)] | None = Field(
        None, description="Your own signing secret (`whsec_` + base64); generated when left out")


class SubscriptionPatch(Patch):
    url: Url | None = None
    topics: Topics | None = None
    description: Annotated[str, Field(max_length=200)] | None = None
    enabled: bool | None = Field(None, description="true after fixing an endpoint: its failure count starts over")
    rotate_secret: bool = Field(False, description="sign with a new secret and the previous one from now on")


class SubscriptionOut(BaseModel):
    id: str
    url: str
    description: str
    topics: list[str]
    enabled: bool
    consecutive_failures: int
    failing_since: datetime | None
    disabled_reason: str
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(None, description="Shown once: when created or rotated")


class AttemptOut(BaseModel):
    id: str | None = None
    event_id: str
    topic: str | None = None
    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str
    outcome: str | None = None


class ReplayIn(Strict):
    event_ids: Ids = Field([], description="Events (webhook-id) to send again")
    failed: bool = Field(False, description="Every dead-lettered delivery of this subscription")


class OutboxReplayIn(Strict):
    ids: Ids = []
    failed: bool = Field(False, description="Every failed message (of `topic`, when given)")
    topic: Annotated[str, Field(max_length=100)] | None = None


def render_subscription(view: subscriptions.SubscriptionView, secret: str | None = None) -> dict[str, Any]:
    body = SubscriptionOut(**{f: getattr(view, f) for f in SubscriptionOut.model_fields if f != "secret"},
                           secret=secret)
    return body.model_dump(mode="json")


@router.post("/webhooks", response_model=SubscriptionOut, status_code=201)
async def create_subscription(body: SubscriptionIn, request: Request,
                              who: Principal = Depends(require("webhooks:manage")),
                              c: Container = Depends(container)) -> JSONResponse:
    """Subscribe a URL to topics. The signing secret is in this response only (a replayed
    Idempotency-Key answer leaves it out: rotate it if it was lost)."""
    idem: Idempotency[handlers.Created] | None = await idempotency_for(
        request, who, lambda created: render_subscription(created[0]))
    result = await run_in_threadpool(handlers.create_subscription, c, body.url, list(body.topics), body.description,
                                     body.secret, idem)
    if isinstance(result, Replayed):
        return respond(result, lambda created: render_subscription(created[0]), 201, idem)
    return JSONResponse(render_subscription(*result), status_code=201)


@router.get("/webhooks", response_model=list[SubscriptionOut])
def list_subscriptions(who: Principal = Depends(require("automation:read")),
                       c: Container = Depends(container)) -> list[dict[str, Any]]:
    with c.reader() as uow:
        return [render_subscription(v) for v in subscriptions.list_subscriptions(uow)]


@router.get("/webhooks/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(subscription_id: str, who: Principal = Depends(require("automation:read")),
                     c: Container = Depends(container)) -> dict[str, Any]:
    with c.reader() as uow:
        return render_subscription(subscriptions.get_subscription(uow, subscription_id))


@router.patch("/webhooks/{subscription_id}", response_model=SubscriptionOut)
def update_subscription(subscription_id: str, body: SubscriptionPatch,
                        who: Principal = Depends(require("webhooks:manage")),
                        c: Container = Depends(container)) -> dict[str, Any]:
    view, secret = handlers.update_subscription(c, subscription_id, url=body.url, topics=body.topics,
                                                description=body.description, enabled=body.enabled,
                                                rotate_secret=body.rotate_secret)
    return render_subscription(view, secret or None)


@router.delete("/webhooks/{subscription_id}")
def delete_subscription(subscription_id: str, who: Principal = Depends(require("webhooks:manage")),
                        c: Container = Depends(container)) -> dict[str, str]:
    handlers.delete_subscription(c, subscription_id)
    return {"id": subscription_id, "status": "deleted"}


@router.post("/webhooks/{subscription_id}/ping", response_model=AttemptOut)
def ping_subscription(subscription_id: str, who: Principal = Depends(require("webhooks:manage")),
                      c: Container = Depends(container)) -> dict[str, Any]:
    """Send a signed `webhook.ping` now and report the answer (logged, health unchanged)."""
    return _attempt(handlers.ping_subscription(c, subscription_id), "webhook.ping", "ping")


def _attempt(a: DeliveryAttempt, topic: str, outcome: str) -> dict[str, Any]:
    return AttemptOut(event_id=a.message_id, topic=topic, attempt=a.attempt, started_at=a.started_at,
                      status_code=a.status_code, latency_ms=a.latency_ms, response_excerpt=a.response_excerpt,
                      error=a.error, outcome=outcome).model_dump(mode="json")


@router.get("/webhooks/{subscription_id}/deliveries")
def list_deliveries(subscription_id: str, who: Principal = Depends(require("automation:read")),
                    c: Container = Depends(container), event_id: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> dict[str, Any]:
    """The delivery log, newest first: one row per attempt (status, latency, response excerpt, error)."""
    with c.reader() as uow:
        page = subscriptions.attempts_page(uow, subscription_id, limit, cursor, event_id)
        items = [AttemptOut(id=a.id, event_id=a.event_id, topic=a.topic, attempt=a.attempt,
                            started_at=as_utc(a.started_at), status_code=a.status_code, latency_ms=a.latency_ms,
                            response_excerpt=a.response_excerpt, error=a.error,
                            outcome=a.outcome).model_dump(mode="json") for a in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/webhooks/{subscription_id}/replay")
def replay(subscription_id: str, body: ReplayIn, who: Principal = Depends(require("webhooks:manage")),
           c: Container = Depends(container)) -> dict[str, Any]:
    """Send events again (same webhook-id, fresh signature): named ones, or every dead-lettered one."""
    queued = handlers.replay_subscription(c, subscription_id, list(body.event_ids), body.failed)
    return {"queued": len(queued), "deliveries": queued}


@router.get("/outbox", tags=["outbox"])
def list_outbox(who: Principal = Depends(require("automation:read")), c: Container = Depends(container),
                status: Literal["pending", "processing", "done", "failed"] | None = None,
                topic: Annotated[str | None, Query(max_length=100)] = None,
                key: Annotated[str | None, Query(max_length=100)] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> dict[str, Any]:
    """Outbox messages, newest first (`status=failed`: the dead letters, with their last error)."""
    with c.reader() as uow:
        page = outbox_log.list_messages(uow, status=status, topic=topic, key=key, limit=limit, cursor=cursor)
        items = [{"id": m.id, "topic": m.topic, "version": m.version, "key": m.key, "status": m.status,
                  "attempts": m.attempts, "last_error": m.last_error, "created_at": as_utc(m.created_at).isoformat(),
                  "available_at": as_utc(m.available_at).isoformat(),
                  # messages about orders carry their customer: masked without `pii:read`
                  "payload": document_view(who, "outbox message", [m.key], m.payload)} for m in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/outbox/replay", tags=["outbox"])
def replay_outbox(body: OutboxReplayIn, who: Principal = Depends(require("automation:write")),
                  c: Container = Depends(container)) -> dict[str, Any]:
    """Deliver messages again with the same id: the named ones, or every failed one."""
    queued = handlers.replay_messages(c, list(body.ids), body.failed, body.topic)
    return {"queued": len(queued), "ids": queued}
