"""Where the routing configuration lives (the database side of the pure `routing` package):
one JSON document (validated by `RoutingConfig.from_dict`), read through a short per-process
cache that every change here invalidates. Another process sees a change within CACHE_SECONDS."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.routing.rules import RoutingConfig
from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UnitOfWork, UtcDateTime

CACHE_SECONDS = 30.0
# Out of the box: the cheapest plan that keeps the promise (issue 3 made it the default).
DEFAULT_DOCUMENT = {"default": {"strategy": "lowest_cost", "fallback": "backorder"}}


class RoutingConfigRow(Base):
    __tablename__ = "routing_configs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[dict] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="system")


_cache: tuple[float, RoutingConfig] | None = None
_lock = threading.Lock()


def invalidate() -> None:
    global _cache
    with _lock:
        _cache = None


def load(uow: UnitOfWork) -> RoutingConfig:
    global _cache
    hit = _cache
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    row = uow.session.get(RoutingConfigRow, "default")
    config = RoutingConfig.from_dict(row.document if row else DEFAULT_DOCUMENT)
    with _lock:
        _cache = (time.monotonic(), config)
    return config


def save(uow: UnitOfWork, document: dict, actor: str) -> RoutingConfig:
    config = RoutingConfig.from_dict(document)  # refuse a bad document before storing it
    row = uow.session.get(RoutingConfigRow, "default")
    if row is None:
        row = RoutingConfigRow(id="default", document={}, updated_by=actor)
        uow.session.add(row)
    row.document, row.updated_at, row.updated_by = config.to_dict(), utcnow(), actor
    uow.commit()
    invalidate()
    return config
