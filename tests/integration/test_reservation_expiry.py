"""Expired reservations give their stock back: the worker releases them, with ledger entries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from conveyor.audit import run_audit
from conveyor.inventory.handlers import reserve
from conveyor.inventory.model import Reservation, StockLedgerEntry
from conveyor.inventory.service import availability
from conveyor.messaging.worker import Worker
from conveyor.shared.clock import utcnow
from tests.helpers import seed_world


def test_worker_releases_expired_reservations_and_only_those(container):
    seed_world(container, {"SKU-A": 10})
    old = reserve(container, "SKU-A", "WH1", 3, 900, "cart-1", "test")
    fresh = reserve(container, "SKU-A", "WH1", 2, 900, "cart-2", "test")
    with container.uow() as uow:
        uow.session.execute(update(Reservation).where(Reservation.id == old.id)
                            .values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    with container.reader() as uow:
        assert availability(uow, "SKU-A").total == 5

    Worker(container, {}).drain()

    with container.reader() as uow:
        statuses = dict(uow.session.execute(select(Reservation.id, Reservation.status)).all())
        released = uow.session.scalars(select(StockLedgerEntry).where(
            StockLedgerEntry.reason == "reservation_release")).all()
        assert availability(uow, "SKU-A").total == 8
        assert run_audit(uow) == []
    assert statuses == {old.id: "expired", fresh.id: "active"}
    assert [(e.reference_id, e.d_reserved) for e in released] == [(old.id, -3)]
