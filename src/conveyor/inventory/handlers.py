"""Stock and location use cases, one transaction each (see shared/handlers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from conveyor.bootstrap import Container
from conveyor.inventory import hot, importer, locations, service
from conveyor.inventory.ledger import StockChange
from conveyor.inventory.locations import LocationData
from conveyor.inventory.model import Location, Reservation
from conveyor.inventory.service import LevelView
from conveyor.shared.handlers import Idempotency, Replayed, run
from conveyor.shared.uow import UnitOfWork


def create_location(c: Container, data: LocationData,
                    idempotency: Idempotency[Location] | None = None) -> Location | Replayed:
    return run(c.uow, lambda uow: locations.create_location(uow, data), idempotency)


def update_location(c: Container, id_or_code: str, changes: dict[str, Any]) -> Location:
    return run(c.uow, lambda uow: locations.update_location(uow, id_or_code, changes))


def receive(c: Container, sku: str, location: str, quantity: int, actor: str, reference: str = "",
            note: str = "", idempotency: Idempotency[LevelView] | None = None) -> LevelView | Replayed:
    return run(c.uow, lambda uow: service.receive(uow, sku, location, quantity, actor, reference, note),
               idempotency)


def adjust(c: Container, sku: str, location: str, delta: int, reason: str, actor: str, note: str = "",
           idempotency: Idempotency[LevelView] | None = None) -> LevelView | Replayed:
    return run(c.uow, lambda uow: service.adjust(uow, sku, location, delta, reason, actor, note), idempotency)


def move_quarantine(c: Container, sku: str, location: str, quantity: int, action: str, actor: str,
                    note: str = "") -> LevelView:
    """Quarantined units `release`d to sellable stock, or `scrap`ped (written off)."""
    move = service.release_quarantine if action == "release" else service.scrap_quarantine
    return run(c.uow, lambda uow: move(uow, sku, location, quantity, actor, note))


def transfer(c: Container, sku: str, source: str, destination: str, quantity: int, actor: str, note: str = "",
             idempotency: Idempotency[tuple[LevelView, LevelView]] | None = None,
             ) -> tuple[LevelView, LevelView] | Replayed:
    return run(c.uow, lambda uow: service.transfer(uow, sku, source, destination, quantity, actor, note),
               idempotency)


def cycle_count(c: Container, location: str, counts: dict[str, int], actor: str,
                idempotency: Idempotency[list[StockChange]] | None = None) -> list[StockChange] | Replayed:
    return run(c.uow, lambda uow: service.cycle_count(uow, location, counts, actor), idempotency)


def set_safety_stock(c: Container, sku: str, location: str, quantity: int) -> LevelView:
    return run(c.uow, lambda uow: service.set_safety_stock(uow, sku, location, quantity))


def reserve(c: Container, sku: str, location: str, quantity: int, ttl_seconds: int, reference: str, actor: str,
            idempotency: Idempotency[Reservation] | None = None) -> Reservation | Replayed:
    return run(c.uow, lambda uow: service.reserve(uow, sku, location, quantity, ttl_seconds, reference, actor),
               idempotency)


def release_reservation(c: Container, reservation_id: str, actor: str) -> Reservation:
    return run(c.uow, lambda uow: service.release_reservation(uow, reservation_id, actor))


def expire_reservations(c: Container, actor: str = "system") -> int:
    """Release every reservation past its expiry (the worker runs this on a schedule)."""
    return run(c.uow, lambda uow: service.expire_reservations(uow, actor=actor))


def import_stock(c: Container, lines: Iterable[str], actor: str,
                 progress: Callable[[int], None] | None = None) -> importer.ImportReport:
    """All or nothing: a file with any bad row changes nothing."""
    return run(c.uow, lambda uow: importer.import_stock(uow, lines, actor, progress))


def set_hot_mode(c: Container, sku: str, location: str, buckets: int | None, actor: str) -> int:
    """Hot-SKU mode on (`buckets` buckets) or off (None) for a SKU at a location; returns the units
    now in buckets. A flash-sale tool: see inventory/hot.py."""
    def work(uow: UnitOfWork) -> int:
        sku_id, location_id = service.stock_pair(uow, sku, location)
        if buckets is None:
            hot.disable(uow, sku_id, location_id)
            return 0
        return hot.enable(uow, sku_id, location_id, buckets)

    return run(c.uow, work)


def refill_hot_skus(c: Container) -> int:
    """Even out every hot SKU's free stock over its buckets (the worker runs this on a schedule);
    returns how many pairs were refilled."""
    def work(uow: UnitOfWork) -> int:
        pairs = sorted(hot.bucket_totals(uow))
        for sku_id, location_id in pairs:
            hot.refill(uow, sku_id, location_id)
        return len(pairs)

    return run(c.uow, work)
