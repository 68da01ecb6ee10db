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


def build(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    import conveyor.models  # noqa: F401  (register every table)

    return Container(settings=settings, db=Database(settings.database_url, pool_size=settings.db_pool_size,
                                                       durable=settings.db_durable_commits))
