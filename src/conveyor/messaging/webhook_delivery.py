"""Delivering `webhook.delivery` messages: the worker's batch handler for outbound webhooks.

A batch's deliveries are POSTed concurrently (one `asyncio.gather`), each with a connect timeout
and a hard total deadline, over one keep-alive connection pool (messaging/http_pool.py) that
lives as long as the worker (a private event loop thread), so a dead endpoint delays nobody else
and a busy one reuses its connections. Each attempt becomes a row of the delivery log; the retry
schedule, dead-lettering and automatic disabling follow `messaging.webhooks` (pure), and a
subscription disabled by this batch produces a staff notice.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from conveyor.messaging import subscriptions, webhooks
from conveyor.messaging.http_pool import Pool, post_result
from conveyor.messaging.vault import SecretBox
from conveyor.messaging.webhook_http import PostResult, apost
from conveyor.messaging.worker import BatchResult, DeadLetter, Message, Outcome, RetryLater
from conveyor.shared.clock import utcnow
from conveyor.shared.uow import UnitOfWork

if TYPE_CHECKING:
    from conveyor.bootstrap import Container

Notice = Callable[[UnitOfWork, str, str], None]  # (uow, subscription id, text)


class LoopThread:
    """One asyncio loop on a daemon thread: the worker's HTTP connection pool lives on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="webhook-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


class WebhookDeliverer:
    def __init__(self, c: Container, box: SecretBox, *, connect_timeout: float = 5.0, total_timeout: float = 15.0,
                 policy: webhooks.RetryPolicy | None = None, rng: random.Random | None = None,
                 clock: Callable[[], datetime] = utcnow, on_notice: Notice | None = None) -> None:
        self.c, self.box = c, box
        self.connect_timeout, self.total_timeout = connect_timeout, total_timeout
        self.policy = policy or webhooks.RetryPolicy()
        self.rng = rng or random.Random()
        self.clock, self.on_notice = clock, on_notice
        self._loop: LoopThread | None = None
        self._pool: Pool | None = None
        self._lock = threading.Lock()

    def __call__(self, messages: Sequence[Message]) -> BatchResult:
        now = self.clock()
        with self.c.reader() as uow:
            known = {s.id: s for s in subscriptions.signing_subscriptions(uow, self.box)}
        outcomes: dict[str, Outcome] = {}
        planned: list[tuple[Message, webhooks.OutboundRequest]] = []
        for message in messages:
            subscription = known.get(message.payload["subscription_id"])
            if subscription is None:
                outcomes[message.id] = DeadLetter("the webhook subscription was deleted")
            elif not subscription.enabled:
                outcomes[message.id] = DeadLetter("the webhook subscription is disabled")
            else:
                planned.append((message, request_for(subscription, message.payload, now)))
        results = self._post([request for _, request in planned]) if planned else []
        logged = []
        for (message, _), result in zip(planned, results, strict=True):
            outcome, item = self._judge(message, result, now)
            outcomes[message.id] = outcome
            logged.append(item)
        return BatchResult(outcomes, lambda uow: self._record(uow, logged))

    def _judge(self, message: Message, result: PostResult,
               now: datetime) -> tuple[Outcome, subscriptions.LoggedAttempt]:
        p = message.payload
        attempt = result.attempt(p["subscription_id"], p["event_id"], message.attempts, now)
        step = webhooks.next_step(attempt, now, self.rng, self.policy, result.retry_after_s)
        outcome: Outcome = None
        if step.action == "retry":
            assert step.retry_at is not None
            outcome = RetryLater(step.retry_at, step.last_error)
        elif step.action == "dead_letter":
            outcome = DeadLetter(step.last_error)
        label = {"done": "delivered", "retry": "retry", "dead_letter": "dead_letter"}[step.action]
        return outcome, subscriptions.LoggedAttempt(attempt, p["topic"], message.id, label)

    def _record(self, uow: UnitOfWork, logged: list[subscriptions.LoggedAttempt]) -> None:
        for subscription_id, notice in subscriptions.record_attempts(uow, logged):
            if self.on_notice is not None:
                self.on_notice(uow, subscription_id, notice)

    def _post(self, requests: list[webhooks.OutboundRequest]) -> list[PostResult]:
        with self._lock:
            if self._loop is None:
                self._loop = LoopThread()
        return list(self._loop.run(self._post_all(requests)))

    async def _post_all(self, requests: list[webhooks.OutboundRequest]) -> list[PostResult]:
        if self._pool is None:
            self._pool = Pool()
        return list(await asyncio.gather(*(
            post_result(self._pool, r.url, r.body, r.headers, connect_timeout=self.connect_timeout,
                        total_timeout=self.total_timeout) for r in requests)))

    def close(self) -> None:
        if self._loop is not None and self._pool is not None:
            self._loop.run(self._pool.close())


def request_for(subscription: webhooks.Subscription, payload: dict[str, Any],
                now: datetime) -> webhooks.OutboundRequest:
    """The signed POST of one delivery: the event's id, time and data in the versioned envelope."""
    occurred_at = datetime.fromisoformat(payload["occurred_at"])
    body = webhooks.encode(webhooks.envelope(payload["topic"], payload["event_id"], occurred_at, payload["data"]))
    return webhooks.build_request(subscription, payload["event_id"], body, now)


def ping(subscription: webhooks.Subscription, event_id: str, now: datetime, *, connect_timeout: float = 5.0,
         total_timeout: float = 15.0, transport: httpx.AsyncBaseTransport | None = None) -> PostResult:
    """One test delivery of a `webhook.ping` event, right now (the API's "send test")."""
    payload = {"topic": "webhook.ping", "event_id": event_id, "occurred_at": now.isoformat(),
               "data": {"subscription_id": subscription.id, "message": "Conveyor test delivery"}}
    request = request_for(subscription, payload, now)

    async def send() -> PostResult:
        async with httpx.AsyncClient(follow_redirects=False, transport=transport) as client:
            return await apost(request.url, request.body, request.headers, connect_timeout=connect_timeout,
                               total_timeout=total_timeout, client=client)

    from conveyor.messaging.aio import run_sync

    return run_sync(send)
