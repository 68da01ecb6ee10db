"""Catalog use cases, one transaction each (see shared/handlers.py)."""

from __future__ import annotations

from typing import Any

from conveyor.bootstrap import Container
from conveyor.catalog import service
from conveyor.catalog.model import Product, Sku
from conveyor.catalog.service import SkuData
from conveyor.shared.handlers import Idempotency, Replayed, run


def create_product(c: Container, name: str, skus: list[SkuData], description: str = "", active: bool = True,
                   idempotency: Idempotency[Product] | None = None) -> Product | Replayed:
    return run(c.uow, lambda uow: service.create_product(uow, name, skus, description, active), idempotency)


def add_sku(c: Container, product_id: str, data: SkuData,
            idempotency: Idempotency[Sku] | None = None) -> Sku | Replayed:
    return run(c.uow, lambda uow: service.add_sku(uow, product_id, data), idempotency)


def update_sku(c: Container, id_or_code: str, changes: dict[str, Any]) -> Sku:
    """`changes` may hold `price` as a decimal string in the SKU's own currency."""
    return run(c.uow, lambda uow: service.update_sku(uow, id_or_code, changes))
