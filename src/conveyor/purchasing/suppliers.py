"""Suppliers and their items (what they sell us, at what cost, in which packs). Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import or_, select

from conveyor.catalog.service import get_sku
from conveyor.purchasing import replenishment
from conveyor.purchasing.model import Supplier, SupplierItem
from conveyor.shared import ids
from conveyor.shared.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.money import Money, check_currency
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

SUPPLIER_FIELDS = {"name", "contact_name", "email", "phone", "address", "currency", "lead_time_days",
                   "lead_time_sigma_days", "payment_terms", "active", "notes"}
ITEM_FIELDS = {"supplier_sku", "unit_cost_minor", "pack_size", "min_order_qty", "lead_time_days", "preferred",
               "active"}


@dataclass(slots=True)
class SupplierData:
    code: str
    name: str
    contact_name: str = ""
    email: str = ""
    phone: str = ""
    address: dict[str, Any] = field(default_factory=dict)
    currency: str = "USD"
    lead_time_days: float = 7.0
    lead_time_sigma_days: float = 0.0
    payment_terms: str = ""
    notes: str = ""


def _check_lead_time(mean: float | None, sigma: float | None) -> None:
    if (mean is not None and not 0 <= mean <= 730) or (sigma is not None and not 0 <= sigma <= 365):
        raise ValidationFailed("lead time must lie between 0 and 730 days (its deviation 0–365)")


def create_supplier(uow: UnitOfWork, data: SupplierData) -> Supplier:
    check_currency(data.currency)
    _check_lead_time(data.lead_time_days, data.lead_time_sigma_days)
    if uow.session.scalar(select(Supplier.id).where(Supplier.code == data.code)):
        raise Conflict(f"supplier {data.code!r} already exists", supplier=data.code)
    supplier = Supplier(id=ids.new_id("supplier"), active=True, **asdict(data))
    uow.session.add(supplier)
    uow.session.flush()
    return supplier


def get_supplier(uow: UnitOfWork, id_or_code: str) -> Supplier:
    found = uow.session.scalar(select(Supplier).where(or_(Supplier.id == id_or_code, Supplier.code == id_or_code)))
    if found is None:
        raise NotFound("supplier", id_or_code)
    return found


def resolve_supplier(uow: UnitOfWork, id_or_code: str) -> Supplier:
    """Like get_supplier, but an unknown supplier in a request body is a 422, not a 404."""
    try:
        return get_supplier(uow, id_or_code)
    except NotFound:
        raise ValidationFailed(f"unknown supplier {id_or_code!r}", ErrorCode.UNKNOWN_SUPPLIER,
                               supplier=id_or_code) from None


def update_supplier(uow: UnitOfWork, id_or_code: str, changes: dict[str, Any]) -> Supplier:
    supplier = get_supplier(uow, id_or_code)
    unknown = set(changes) - SUPPLIER_FIELDS
    if unknown:
        raise ValidationFailed(f"cannot change {sorted(unknown)}")
    if "currency" in changes:
        check_currency(changes["currency"])
    _check_lead_time(changes.get("lead_time_days"), changes.get("lead_time_sigma_days"))
    for name, value in changes.items():
        setattr(supplier, name, value)
    return supplier


def list_suppliers(uow: UnitOfWork, limit: int, cursor: str | None, active: bool | None = None) -> Page[Supplier]:
    query = select(Supplier)
    if active is not None:
        query = query.where(Supplier.active.is_(active))
    return paginate(uow.session, query, Supplier.id, limit, cursor, newest_first=False)


@dataclass(slots=True)
class ItemData:
    sku: str
    unit_cost_minor: int
    supplier_sku: str = ""
    pack_size: int = 1
    min_order_qty: int = 0
    lead_time_days: float | None = None
    preferred: bool = False


def _check_item(values: dict[str, Any]) -> None:
    if values.get("pack_size", 1) < 1 or values.get("min_order_qty", 0) < 0 or values.get("unit_cost_minor", 0) < 0:
        raise ValidationFailed("pack size must be ≥ 1, MOQ and unit cost ≥ 0", ErrorCode.INVALID_QUANTITY)
    _check_lead_time(values.get("lead_time_days"), None)


def upsert_item(uow: UnitOfWork, supplier: str, data: ItemData) -> SupplierItem:
    """Set a supplier's terms for a SKU (a second call replaces them). Preferring one supplier for a
    SKU un-prefers the others."""
    s = get_supplier(uow, supplier)
    sku = get_sku(uow, data.sku)
    if sku.is_kit:
        raise ValidationFailed(f"{sku.code!r} is a kit: buy its components", ErrorCode.VALIDATION_ERROR)
    values = {k: v for k, v in asdict(data).items() if k != "sku"}
    _check_item(values)
    item = uow.session.scalar(select(SupplierItem).where(SupplierItem.supplier_id == s.id,
                                                         SupplierItem.sku_id == sku.id))
    if item is None:
        item = SupplierItem(id=ids.new_id("supplier_item"), supplier_id=s.id, sku_id=sku.id, active=True)
        uow.session.add(item)
    for name, value in values.items():
        setattr(item, name, value)
    if data.preferred:
        _unprefer_others(uow, item)
    uow.session.flush()
    return item


def _unprefer_others(uow: UnitOfWork, item: SupplierItem) -> None:
    for other in uow.session.scalars(select(SupplierItem).where(SupplierItem.sku_id == item.sku_id,
                                                                 SupplierItem.id != item.id)):
        other.preferred = False


def list_items(uow: UnitOfWork, supplier: str) -> list[SupplierItem]:
    s = get_supplier(uow, supplier)
    return list(uow.session.scalars(select(SupplierItem).where(SupplierItem.supplier_id == s.id)
                                    .order_by(SupplierItem.id)))


def remove_item(uow: UnitOfWork, supplier: str, sku: str) -> None:
    s, sku_row = get_supplier(uow, supplier), get_sku(uow, sku)
    item = uow.session.scalar(select(SupplierItem).where(SupplierItem.supplier_id == s.id,
                                                         SupplierItem.sku_id == sku_row.id))
    if item is None:
        raise NotFound("supplier item", f"{supplier}/{sku}")
    item.active = False


def terms_by_sku(uow: UnitOfWork, sku_ids: Collection[str] | None = None,
                 ) -> dict[str, list[replenishment.SupplierItem]]:
    """Active supplier terms of active suppliers, per SKU, as replenishment's plain dataclasses."""
    query = (select(SupplierItem, Supplier).join(Supplier, Supplier.id == SupplierItem.supplier_id)
             .where(SupplierItem.active.is_(True), Supplier.active.is_(True)))
    if sku_ids is not None:
        query = query.where(SupplierItem.sku_id.in_(list(sku_ids)))
    found: dict[str, list[replenishment.SupplierItem]] = defaultdict(list)
    for item, supplier in uow.session.execute(query.order_by(SupplierItem.id)).all():
        lead = item.lead_time_days if item.lead_time_days is not None else supplier.lead_time_days
        found[item.sku_id].append(replenishment.SupplierItem(
            supplier_id=supplier.id, sku_id=item.sku_id, unit_cost=Money(item.unit_cost_minor, supplier.currency),
            lead_time_days=round(lead), pack_size=item.pack_size, min_order_qty=item.min_order_qty,
            preferred=item.preferred, supplier_sku=item.supplier_sku,
            lead_time_sigma_days=supplier.lead_time_sigma_days))
    return dict(found)
