"""The FastAPI application factory: each area contributes its router under /api/v1."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from conveyor import __version__
from conveyor.api import contract, errors
from conveyor.api.authn import Authenticate
from conveyor.api.deps import container, require
from conveyor.api.limits import BodySizeLimit
from conveyor.api.media import JsonBodies
from conveyor.api.metrics import RequestMetrics
from conveyor.api.metrics import router as metrics_router
from conveyor.api.ratelimit import RateLimit
from conveyor.api.requests import ErrorBoundary, RequestContext
from conveyor.auth.api import router as keys_router
from conveyor.automation.api import router as automation_router
from conveyor.billing.api import router as billing_router
from conveyor.bootstrap import Container, build
from conveyor.catalog.api import router as catalog_router
from conveyor.channels.api import router as channels_router
from conveyor.fulfillment.api import router as fulfilment_router
from conveyor.fulfillment.api_setup import router as fulfilment_setup_router
from conveyor.inventory.api import router as inventory_router
from conveyor.logs import configure as configure_logs
from conveyor.logs import secrets_of
from conveyor.messaging.api import router as webhooks_router
from conveyor.orders.api import router as orders_router
from conveyor.orders.routing_api import router as routing_router
from conveyor.payments.api import router as payments_router
from conveyor.planning.api import router as reports_router
from conveyor.privacy.api import router as privacy_router
from conveyor.purchasing.api import router as purchasing_router
from conveyor.purchasing.api_replenishment import router as replenishment_router
from conveyor.returns.api import router as returns_router
from conveyor.shared.migrate import head_revision
from conveyor.shipping.api import router as shipping_router
from conveyor.web import app as dashboard

DESCRIPTION = """Conveyor's REST API. Authenticate with `Authorization: Bearer <API key>`.
Errors are `application/problem+json` with a stable `code`. POSTs that create things accept an
`Idempotency-Key` header. Lists use cursor pagination (`cursor`, `limit`)."""


def _probes(head: str | None) -> APIRouter:
    """For load balancers and orchestrators; no API key (they carry no secrets)."""
    router = APIRouter(tags=["system"])

    @router.get("/healthz")
    async def healthz() -> dict:
        """The process is up and answering (no database involved): restart it if this fails."""
        return {"status": "ok", "version": __version__}

    @router.get("/readyz", responses={503: {"description": "not ready: database unreachable or not migrated",
                                            "content": {"application/json": {}}}})
    def readyz(c: Container = Depends(container)) -> JSONResponse:
        """Ready for traffic: the database answers and its schema is at this code's migration."""
        from sqlalchemy import text

        with c.reader() as uow:
            current = uow.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        ready = current == head
        body = {"status": "ok" if ready else "not_ready", "database": c.db.dialect, "migration": current,
                "expected_migration": head}
        return JSONResponse(body, status_code=200 if ready else 503, headers=None if ready else {"Retry-After": "5"})

    return router


def _system_router() -> APIRouter:
    router = APIRouter(tags=["system"])

    @router.get("/health")
    def health(c: Container = Depends(container)) -> dict:
        from sqlalchemy import text

        with c.reader() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": c.db.dialect}

    @router.get("/audit", dependencies=[Depends(require("audit:run"))])
    def audit(c: Container = Depends(container)) -> dict:
        from conveyor.audit import run_audit

        with c.reader() as uow:
            violations = run_audit(uow)
        return {"ok": not violations, "violations": [{"check": v.check, "detail": v.detail} for v in violations]}

    return router


def create_app(c: Container | None = None, *, served: bool = False) -> FastAPI:
    """`served`: the app is a server worker's whole life (`conveyor.api.main`), so what start-up
    builds is frozen out of the garbage collector's sight once built (`_freeze_start_up_heap`).
    Tests build many apps in one process and leave it off."""
    c = c or build()
    configure_logs(secrets_of(c.settings), c.settings.log_level, json=c.settings.log_format == "json")
    # /docs is served by the dashboard from vendored Swagger UI files (no CDN); ReDoc is not served.
    app = FastAPI(title="Conveyor", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", lifespan=_lifespan)
    app.state.container = c
    app.state.served = served
    errors.install(app, pages=(dashboard.is_page, dashboard.error_page))
    contract.install(app)
    app.add_middleware(JsonBodies, api=app)  # 415 for a body that isn't JSON where JSON is read
    app.add_middleware(BodySizeLimit, max_bytes=c.settings.max_body_bytes)
    app.add_middleware(RateLimit, rate=c.settings.rate_limit_per_second, burst=c.settings.rate_limit_burst)
    app.add_middleware(Authenticate, container=c)  # 401, then 429, before the body is read
    app.add_middleware(ErrorBoundary)  # 503/500 for whatever the layers inside raised
    app.add_middleware(RequestContext)  # the request id, NUL in the URL
    app.add_middleware(RequestMetrics)  # added last = runs first: every answer is counted and timed
    # Orders first: routes are matched in order, and placing an order is the hot path. Each area's
    # router is included in the app itself, not in an /api/v1 router: FastAPI keeps included
    # routers nested and, on every request, walks the nesting to see whether routes changed
    # (51 walks a request through one more level; 0.24 ms of CPU per order, measured).
    for router in (orders_router, _system_router(), catalog_router, inventory_router, routing_router,
                   channels_router, keys_router, purchasing_router, replenishment_router, reports_router,
                   fulfilment_router, shipping_router, fulfilment_setup_router, webhooks_router, automation_router,
                   returns_router, payments_router, billing_router, privacy_router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(_probes(head_revision()))
    app.include_router(metrics_router())
    dashboard.mount(app)  # last: its pages live at / and must not shadow an API route
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build what is heavy once, before the first request and off the event loop, so a fresh worker
    answers its health check at once even when traffic arrives with it."""
    await run_in_threadpool(warm_up)
    # The OpenAPI document is read by the 405 (Allow) and 415 answers: build it now, not on the
    # event loop in the middle of traffic.
    await run_in_threadpool(app.openapi)
    if app.state.served:
        _freeze_start_up_heap()
    yield


def _freeze_start_up_heap() -> None:
    """What start-up built (modules, tables, the app, caches) lives as long as the worker: move it
    out of the collector's sight. Otherwise the first full collection under traffic walks all of it
    and stopped the worker for 160–235 ms (docs/benchmarks.md, "Issue 13, fifth session"), which every
    request in flight on that worker waits out."""
    gc.collect()
    gc.freeze()


def warm_up() -> None:
    from conveyor import routing

    routing.warm_up(optimiser=False)  # ZIP and region tables, the search code; scipy loads on first `optimal`
