"""The one place that wires settings, the database and services for api, cli, worker and tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from conveyor.config import Settings, get_settings
from conveyor.shared.db import Database, UnitOfWork, unit_of_work


@dataclass
class Container:
    settings: Settings
    db: Database

    @contextmanager
    def uow(self, write: bool = True) -> Iterator[UnitOfWork]:
        with unit_of_work(self.db, write=write) as uow:
            yield uow

    def reader(self):
        return self.uow(write=False)

    def close(self) -> None:
        self.db.dispose()


def reset_caches() -> None:
    """Forget every per-process cache (channels, keys, routing config, location profiles).
    For tests that swap databases under one process; a service never needs it."""
    from conveyor.auth import service as auth_service
    from conveyor.channels import service as channel_service
    from conveyor.inventory import locations
    from conveyor.orders import routing_bridge, routing_store

    channel_service.invalidate_cache()
    auth_service._cache.clear()
    routing_store.invalidate()
    locations.invalidate_routing_cache()
    routing_bridge._load = None


def build(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    import conveyor.models  # noqa: F401  (register every table)

    return Container(settings=settings, db=Database(settings.database_url, pool_size=settings.db_pool_size,
                                                       durable=settings.db_durable_commits))
