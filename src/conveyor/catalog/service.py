"""Catalog operations: products, SKUs, kits — and the SKU facts other areas read (`sku_facts`).

Operations never commit: `catalog/handlers.py` does. Changing a SKU invalidates the SKU cache once
the transaction has committed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam, or_, select, text

from conveyor.catalog.model import KitComponent, Product, Sku
from conveyor.shared import ids
from conveyor.shared.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.money import check_currency, to_minor
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork


@dataclass(slots=True)
class SkuData:
    code: str
    name: str
    price_minor: int = 0
    currency: str = "USD"
    barcode: str | None = None
    weight_grams: int = 0
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    hs_code: str | None = None
    active: bool = True
    kit_components: dict[str, int] = field(default_factory=dict)  # component code → quantity
    kit_allows_split: bool = False


def create_product(uow: UnitOfWork, name: str, skus: list[SkuData], description: str = "",
                   active: bool = True) -> Product:
    if not skus:
        raise ValidationFailed("a product needs at least one SKU")
    codes = [s.code for s in skus]
    if len(set(codes)) != len(codes):
        raise ValidationFailed("SKU codes repeat within the product")
    taken = uow.session.scalars(select(Sku.code).where(Sku.code.in_(codes))).all()
    if taken:
        raise Conflict(f"SKU code(s) already exist: {', '.join(sorted(taken))}", codes=sorted(taken))
    product = Product(id=ids.new_id("product"), name=name, description=description, active=active)
    uow.session.add(product)
    for data in skus:
        uow.session.add(_new_sku(uow, product.id, data))
    uow.session.flush()
    _forget_skus(uow)
    uow.session.expire(product, ["skus"])
    _ = [sku.components for sku in product.skus]  # load now: callers render it after the commit
    return product


def _new_sku(uow: UnitOfWork, product_id: str, data: SkuData) -> Sku:
    check_currency(data.currency)
    sku = Sku(
        id=ids.new_id("sku"), product_id=product_id, code=data.code, name=data.name,
        price_minor=data.price_minor, currency=data.currency, barcode=data.barcode,
        weight_grams=data.weight_grams, length_mm=data.length_mm, width_mm=data.width_mm,
        height_mm=data.height_mm, hs_code=data.hs_code, active=data.active,
        is_kit=bool(data.kit_components), kit_allows_split=data.kit_allows_split,
    )
    if data.kit_components:
        parts = resolve_skus(uow, list(data.kit_components))
        for code, qty in data.kit_components.items():
            part = parts[code]
            if part.is_kit:
                raise ValidationFailed(f"kit component {code!r} is itself a kit; nest kits by listing parts")
            if qty <= 0:
                raise ValidationFailed(f"kit component {code!r} needs a positive quantity",
                                       ErrorCode.INVALID_QUANTITY)
            sku.components.append(KitComponent(kit_sku_id=sku.id, component_sku_id=part.id, quantity=qty))
    return sku


def add_sku(uow: UnitOfWork, product_id: str, data: SkuData) -> Sku:
    get_product(uow, product_id)
    if uow.session.scalar(select(Sku.id).where(Sku.code == data.code)):
        raise Conflict(f"SKU code {data.code!r} already exists")
    sku = _new_sku(uow, product_id, data)
    uow.session.add(sku)
    uow.session.flush()
    _forget_skus(uow)
    _ = sku.components  # load now: callers render it after the commit (it was a 500 after writing)
    return sku


def get_product(uow: UnitOfWork, product_id: str) -> Product:
    product = uow.session.get(Product, product_id)
    if product is None:
        raise NotFound("product", product_id)
    return product


def list_products(uow: UnitOfWork, limit: int, cursor: str | None, q: str | None = None,
                  active: bool | None = None) -> Page[Product]:
    query = select(Product)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Product.name.ilike(like),
                                Product.id.in_(select(Sku.product_id).where(Sku.code.ilike(like)))))
    if active is not None:
        query = query.where(Product.active == active)
    return paginate(uow.session, query, Product.id, limit, cursor)


def get_sku(uow: UnitOfWork, id_or_code: str) -> Sku:
    sku = uow.session.scalar(select(Sku).where(or_(Sku.id == id_or_code, Sku.code == id_or_code)))
    if sku is None:
        raise NotFound("sku", id_or_code)
    return sku


def list_skus(uow: UnitOfWork, limit: int, cursor: str | None, q: str | None = None,
              barcode: str | None = None) -> Page[Sku]:
    query = select(Sku)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Sku.code.ilike(like), Sku.name.ilike(like)))
    if barcode:
        query = query.where(Sku.barcode == barcode)
    return paginate(uow.session, query, Sku.id, limit, cursor)


UPDATABLE_SKU_FIELDS = {"name", "price_minor", "barcode", "weight_grams", "length_mm", "width_mm",
                        "height_mm", "hs_code", "active"}


def update_sku(uow: UnitOfWork, id_or_code: str, changes: dict) -> Sku:
    sku = get_sku(uow, id_or_code)
    changes = dict(changes)
    if "price" in changes:
        changes["price_minor"] = to_minor(changes.pop("price"), sku.currency)
    unknown = set(changes) - UPDATABLE_SKU_FIELDS
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(sku, name, value)
    uow.session.flush()
    _forget_skus(uow)
    return sku


def resolve_skus(uow: UnitOfWork, codes: list[str]) -> dict[str, Sku]:
    """Map SKU codes to SKUs, failing with every unknown code named."""
    found = {s.code: s for s in uow.session.scalars(select(Sku).where(Sku.code.in_(set(codes))))}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise ValidationFailed(f"unknown SKU(s): {', '.join(missing)}", ErrorCode.UNKNOWN_SKU, skus=missing)
    return found


# --- what other areas need to know about SKUs (placement, routing, fulfilment) ---------------------

@dataclass(frozen=True, slots=True)
class SkuFacts:
    """A SKU as the order flow sees it. `components` is ((component sku id, units per unit), …):
    the SKU itself once for a plain SKU, its parts for a kit."""
    id: str
    code: str
    name: str
    active: bool
    weight_grams: int
    components: tuple[tuple[str, int], ...]
    allow_split: bool = False
    barcode: str | None = None

    @property
    def is_kit(self) -> bool:
        return self.components != ((self.id, 1),)


SKU_CACHE = "skus"
_SKUS = text("SELECT id, code, name, active, is_kit, kit_allows_split, weight_grams, barcode FROM skus"
             " WHERE code IN :codes").bindparams(bindparam("codes", expanding=True))
_PARTS = text("SELECT kit_sku_id, component_sku_id, quantity FROM kit_components"
              " WHERE kit_sku_id IN :kits ORDER BY component_sku_id").bindparams(bindparam("kits", expanding=True))


def sku_facts(uow: UnitOfWork, codes: list[str]) -> dict[str, SkuFacts]:
    """SKUs by code with their kit components (unknown codes are simply absent). Cached per
    process (see shared/cache.py); what is not cached is read in one query, plus one for kits."""
    cache = uow.caches.named(SKU_CACHE)
    found: dict[str, SkuFacts] = {}
    missing = []
    for code in set(codes):
        hit = cache.peek(code)
        if hit is None:
            missing.append(code)
        else:
            found[code] = hit
    if missing:
        for facts in _read_facts(uow, sorted(missing)):
            cache.put(facts.code, facts)
            found[facts.code] = facts
    return found


def _read_facts(uow: UnitOfWork, codes: list[str]) -> list[SkuFacts]:
    rows = uow.session.execute(_SKUS, {"codes": codes}).all()
    kits = [r.id for r in rows if r.is_kit]
    parts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    if kits:
        for p in uow.session.execute(_PARTS, {"kits": kits}):
            parts[p.kit_sku_id].append((p.component_sku_id, p.quantity))
    return [SkuFacts(r.id, r.code, r.name, bool(r.active), r.weight_grams,
                     tuple(parts[r.id]) if r.is_kit else ((r.id, 1),), bool(r.is_kit and r.kit_allows_split),
                     r.barcode)
            for r in rows]


def _forget_skus(uow: UnitOfWork) -> None:
    cache = uow.caches.named(SKU_CACHE)
    uow.after_commit(cache.invalidate)


def sku_codes(uow: UnitOfWork, sku_ids: list[str]) -> dict[str, str]:
    """Codes of SKU ids (for messages and reports that speak codes)."""
    if not sku_ids:
        return {}
    return dict(uow.session.execute(select(Sku.id, Sku.code).where(Sku.id.in_(set(sku_ids)))).all())


def sku_id_of(uow: UnitOfWork, id_or_code: str) -> str | None:
    """The id of a SKU given by id or code, or None if there is none."""
    return uow.session.scalar(select(Sku.id).where(or_(Sku.id == id_or_code, Sku.code == id_or_code)))


def stock_sku_ids(uow: UnitOfWork) -> dict[str, str]:
    """{code: id} of every SKU that holds stock of its own (kits don't: theirs is derived)."""
    return dict(uow.session.execute(select(Sku.code, Sku.id).where(Sku.is_kit.is_(False))).all())


def sku_ids_by_code(uow: UnitOfWork, codes: list[str] | None) -> dict[str, str]:
    """{code: id} for the given codes (unknown ones absent), or for every SKU when `codes` is None."""
    query = select(Sku.code, Sku.id)
    if codes is not None:
        query = query.where(Sku.code.in_(codes))
    return dict(uow.session.execute(query).all())
