"""The one place that wires settings, the database and the caches for api, cli, worker and tests.

Everything outside the areas (API routes, CLI commands, the outbox worker, tests) gets a
`Container` from `build()` and passes it to command handlers (`<area>/handlers.py`), which open
units of work from it. The container owns the per-process caches, so two containers (two test
databases, say) never share cached values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from conveyor.config import Settings, get_settings
from conveyor.shared.cache import Caches
from conveyor.shared.db import Database, EngineOptions
from conveyor.shared.uow import UnitOfWork, unit_of_work

# Cache names whose time-to-live comes from its own setting (see shared/cache.py).
API_KEYS_CACHE = "api_keys"


@dataclass
class Container:
    settings: Settings
    db: Database
    caches: Caches = field(default_factory=Caches)

    @contextmanager
    def uow(self, write: bool = True) -> Iterator[UnitOfWork]:
        with unit_of_work(self.db, write=write, caches=self.caches) as uow:
            yield uow

    def reader(self):  # noqa: ANN201 - a context manager of a read-only UnitOfWork
        return self.uow(write=False)

    def close(self) -> None:
        self.db.dispose()


def build(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    import conveyor.models  # noqa: F401  (register every table)
    from conveyor import wiring

    wiring.install(settings)

    caches = Caches(default_ttl=settings.cache_seconds,
                    ttl_overrides={API_KEYS_CACHE: settings.api_key_cache_seconds})
    db = Database(settings.database_url, EngineOptions(
        pool_size=settings.db_pool_size, pool_timeout_seconds=settings.db_pool_timeout_seconds,
        connect_timeout_seconds=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms, durable=settings.db_durable_commits))
    return Container(settings=settings, db=db, caches=caches)
