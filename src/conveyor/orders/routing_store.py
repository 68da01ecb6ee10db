"""Where the routing configuration lives (the database side of the pure `routing` package):
one JSON document (validated by `RoutingConfig.from_dict`), read through the container's cache,
which a change here invalidates once it commits; other processes see a change within the cache's
time-to-live (see shared/cache.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.routing.rules import RoutingConfig
from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime
from conveyor.shared.uow import UnitOfWork

CACHE = "routing_config"
# Out of the box: the cheapest plan that keeps the promise (issue 3 made it the default).
DEFAULT_DOCUMENT = {"default": {"strategy": "lowest_cost", "fallback": "backorder"}}


class RoutingConfigRow(Base):
    __tablename__ = "routing_configs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[dict] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="system")


def load(uow: UnitOfWork) -> RoutingConfig:
    def read() -> RoutingConfig:
        row = uow.session.get(RoutingConfigRow, "default")
        return RoutingConfig.from_dict(row.document if row else DEFAULT_DOCUMENT)

    config: RoutingConfig | None = uow.caches.named(CACHE).get("default", read)
    assert config is not None  # read() always returns one
    return config


def save(uow: UnitOfWork, document: dict, actor: str) -> RoutingConfig:
    config = RoutingConfig.from_dict(document)  # refuse a bad document before storing it
    row = uow.session.get(RoutingConfigRow, "default")
    if row is None:
        row = RoutingConfigRow(id="default", document={}, updated_by=actor)
        uow.session.add(row)
    row.document, row.updated_at, row.updated_by = config.to_dict(), utcnow(), actor
    uow.session.flush()
    uow.after_commit(uow.caches.named(CACHE).invalidate)
    return config
