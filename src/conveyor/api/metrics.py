"""Prometheus: GET /metrics (text exposition format) and the middleware that times every request
per route *template* (`/api/v1/orders/{order_id}`, never the id itself, so the series stay few).

Counters and histograms come from every process through prometheus_client's multiprocess mode
when PROMETHEUS_MULTIPROC_DIR is set (`conveyor serve --workers N` sets it up, see
shared/metrics.py); the outbox lag is read from the database at scrape time, so any API process
reports the same figures. No API key: scrapers carry none — keep /metrics on the private network
(docs/operations.md, "Metrics")."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container
from conveyor.bootstrap import Container
from conveyor.shared.clock import utcnow
from conveyor.shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from conveyor.shared.metrics_dir import MULTIPROC_ENV

API_PREFIX = "/api/v1"
UNMATCHED = "unmatched"  # 404s of paths no route knows: one series, whatever was asked


class RequestMetrics:
    """Outermost ASGI middleware: every answer counts, 401s and 503s included."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def recording_send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = _template(scope)
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


def _template(scope: dict) -> str:
    """The matched route's path template. The router stores the route in the (shared) scope;
    unmatched paths have none. FastAPI ≥ 0.16x keeps included routers nested, so a route's own
    path may lack the prefix it was included under (`/api/v1`): then it doesn't match the whole
    request path, and the prefix is put back."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not path:
        return UNMATCHED
    regex = getattr(route, "path_regex", None)
    if regex is not None and not regex.match(scope["path"]) and scope["path"].startswith(API_PREFIX + "/"):
        return API_PREFIX + path
    return path


class OutboxLag:
    """A collector asked at scrape time: how far the outbox workers are behind."""

    def __init__(self, c: Container) -> None:
        self.c = c

    def collect(self) -> Any:
        from conveyor.messaging.outbox_log import lag

        up = GaugeMetricFamily("conveyor_database_up", "1 when the database answered the scrape's query")
        try:
            with self.c.reader() as uow:
                found = lag(uow, utcnow())
        except Exception:  # noqa: BLE001 - a scrape during an outage reports it, it does not fail
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("conveyor_outbox_pending_messages", "Outbox messages due or being handled",
                                value=found.pending)
        yield GaugeMetricFamily("conveyor_outbox_oldest_pending_age_seconds",
                                "Age of the oldest outbox message due or being handled (0 when none)",
                                value=found.oldest_pending_seconds)
        yield GaugeMetricFamily("conveyor_outbox_failed_messages", "Dead letters: failed for good, await replay",
                                value=found.failed)


def exposition(c: Container) -> bytes:
    """This process's (or, in multiprocess mode, every process's) samples, then the outbox lag."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    lag_registry = CollectorRegistry()
    lag_registry.register(OutboxLag(c))
    return counted + generate_latest(lag_registry)


def router() -> APIRouter:
    r = APIRouter(tags=["system"])

    @r.get("/metrics", include_in_schema=False)
    async def metrics(c: Container = Depends(container)) -> Response:
        body = await run_in_threadpool(exposition, c)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return r
