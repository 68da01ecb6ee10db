"""The FastAPI application factory: each area contributes its router under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from conveyor import __version__
from conveyor.api import errors
from conveyor.api.authn import Authenticate
from conveyor.api.deps import container, require
from conveyor.api.limits import BodySizeLimit
from conveyor.auth.api import router as keys_router
from conveyor.bootstrap import Container, build
from conveyor.catalog.api import router as catalog_router
from conveyor.channels.api import router as channels_router
from conveyor.fulfillment.api import router as fulfilment_router
from conveyor.fulfillment.api_setup import router as fulfilment_setup_router
from conveyor.inventory.api import router as inventory_router
from conveyor.orders.api import router as orders_router
from conveyor.orders.routing_api import router as routing_router
from conveyor.shipping.api import router as shipping_router

DESCRIPTION = """Conveyor's REST API. Authenticate with `Authorization: Bearer <API key>`.
Errors are `application/problem+json` with a stable `code`. POSTs that create things accept an
`Idempotency-Key` header. Lists use cursor pagination (`cursor`, `limit`)."""


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


def create_app(c: Container | None = None) -> FastAPI:
    c = c or build()
    app = FastAPI(title="Conveyor", version=__version__, description=DESCRIPTION, docs_url="/docs",
                  openapi_url="/openapi.json")
    app.state.container = c
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=c.settings.max_body_bytes)
    app.add_middleware(Authenticate, container=c)  # added last = runs first: 401 before anything
    api = APIRouter(prefix="/api/v1")
    for router in (_system_router(), catalog_router, inventory_router, orders_router, routing_router,
                   channels_router, keys_router, fulfilment_router, shipping_router, fulfilment_setup_router):
        api.include_router(router)
    app.include_router(api)
    return app
