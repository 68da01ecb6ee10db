"""Stock operations: receipts, adjustments, transfers, counts, safety stock, reservations, reads.

They never commit: `inventory/handlers.py` does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from conveyor.catalog.service import get_sku, sku_id_of
from conveyor.inventory import hot
from conveyor.inventory.ledger import STOCK_LEVELS_CHANGED, StockChange, apply_changes, ensure_levels, pair_key
from conveyor.inventory.locations import resolve_location
from conveyor.inventory.model import LedgerReason, Location, Reservation, StockLedgerEntry, StockLevel
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import Conflict, DomainError, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

ADJUSTMENT_REASONS = {"damaged", "lost", "found", "correction", "expired", "theft", "sample", "other"}


def _stock_sku(uow: UnitOfWork, code: str):  # noqa: ANN202 - catalog's Sku
    try:
        sku = get_sku(uow, code)
    except NotFound:
        raise ValidationFailed(f"unknown SKU {code!r}", ErrorCode.UNKNOWN_SKU, skus=[code]) from None
    if sku.is_kit:
        raise ValidationFailed(f"{code!r} is a kit: its stock is derived from its components",
                               ErrorCode.VALIDATION_ERROR, sku=code)
    return sku


def stock_pair(uow: UnitOfWork, sku: str, location: str) -> tuple[str, str]:
    """(sku id, location id) of a stock-holding SKU and a location, each given by code or id."""
    return _stock_sku(uow, sku).id, resolve_location(uow, location).id


def _positive(quantity: int) -> None:
    if not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed("quantity must be a positive whole number", ErrorCode.INVALID_QUANTITY)


def receive(uow: UnitOfWork, sku: str, location: str, quantity: int, actor: str, reference: str = "",
            note: str = "") -> LevelView:
    _positive(quantity)
    s, loc = _stock_sku(uow, sku), resolve_location(uow, location)
    apply_changes(uow, [StockChange(s.id, loc.id, LedgerReason.RECEIPT, d_on_hand=quantity,
                                    reference_type="receipt", reference_id=reference or None, note=note)], actor)
    return level(uow, s.id, loc.id)


def adjust(uow: UnitOfWork, sku: str, location: str, delta: int, reason: str, actor: str,
           note: str = "") -> LevelView:
    if not isinstance(delta, int) or delta == 0:
        raise ValidationFailed("delta must be a non-zero whole number", ErrorCode.INVALID_QUANTITY)
    if reason not in ADJUSTMENT_REASONS:
        raise ValidationFailed(f"reason must be one of {sorted(ADJUSTMENT_REASONS)}")
    s, loc = _stock_sku(uow, sku), resolve_location(uow, location)
    apply_changes(uow, [StockChange(s.id, loc.id, LedgerReason.ADJUSTMENT, d_on_hand=delta,
                                    reference_type="adjustment", reference_id=reason,
                                    note=note)], actor)
    return level(uow, s.id, loc.id)


def transfer(uow: UnitOfWork, sku: str, source: str, destination: str, quantity: int, actor: str,
             note: str = "") -> tuple[LevelView, LevelView]:
    _positive(quantity)
    s = _stock_sku(uow, sku)
    src, dst = resolve_location(uow, source), resolve_location(uow, destination)
    if src.id == dst.id:
        raise ValidationFailed("source and destination are the same location")
    ref = ids.new_id("ledger")
    apply_changes(uow, [
        StockChange(s.id, src.id, LedgerReason.TRANSFER_OUT, d_on_hand=-quantity, reference_type="transfer",
                    reference_id=ref, note=note),
        StockChange(s.id, dst.id, LedgerReason.TRANSFER_IN, d_on_hand=quantity, reference_type="transfer",
                    reference_id=ref, note=note),
    ], actor)
    return level(uow, s.id, src.id), level(uow, s.id, dst.id)


@dataclass(frozen=True, slots=True)
class ReturnedStock:
    """Units of one SKU that came back to `location_id`: `to_stock` onto the shelf (available
    again), `to_quarantine` into the quarantine bucket (never sellable)."""
    sku_id: str
    location_id: str
    to_stock: int = 0
    to_quarantine: int = 0
    note: str = ""


def take_back(uow: UnitOfWork, returned: Iterable[ReturnedStock], return_id: str, actor: str) -> list[StockChange]:
    """Returned units into stock through the ledger, referenced to the return. The location must
    accept returns (checked by the caller, which knows why it is receiving)."""
    changes = []
    for item in returned:
        if item.to_stock < 0 or item.to_quarantine < 0:
            raise ValidationFailed("returned quantities must not be negative", ErrorCode.INVALID_QUANTITY)
        if item.to_stock:
            changes.append(StockChange(item.sku_id, item.location_id, LedgerReason.RETURN, d_on_hand=item.to_stock,
                                       reference_type="return", reference_id=return_id, note=item.note))
        if item.to_quarantine:
            changes.append(StockChange(item.sku_id, item.location_id, LedgerReason.RETURN_QUARANTINE,
                                       d_quarantined=item.to_quarantine, reference_type="return",
                                       reference_id=return_id, note=item.note))
    apply_changes(uow, changes, actor)
    return changes


def release_quarantine(uow: UnitOfWork, sku: str, location: str, quantity: int, actor: str,
                       note: str = "") -> LevelView:
    """Quarantined units inspected (or repaired) and fit to sell: back to on hand."""
    return _out_of_quarantine(uow, sku, location, quantity, LedgerReason.QUARANTINE_RELEASE, quantity, actor, note)


def scrap_quarantine(uow: UnitOfWork, sku: str, location: str, quantity: int, actor: str,
                     note: str = "") -> LevelView:
    """Quarantined units written off (scrapped, sent back to the supplier): they leave the books."""
    return _out_of_quarantine(uow, sku, location, quantity, LedgerReason.QUARANTINE_SCRAP, 0, actor, note)


def _out_of_quarantine(uow: UnitOfWork, sku: str, location: str, quantity: int, reason: LedgerReason,
                       to_on_hand: int, actor: str, note: str) -> LevelView:
    _positive(quantity)
    s, loc = _stock_sku(uow, sku), resolve_location(uow, location)
    try:
        apply_changes(uow, [StockChange(s.id, loc.id, reason, d_on_hand=to_on_hand, d_quarantined=-quantity,
                                        reference_type="quarantine", reference_id=None, note=note)], actor,
                      create_missing=False)
    except DomainError as exc:
        raise ValidationFailed(f"fewer than {quantity} × {s.code} are in quarantine at {loc.code}",
                               ErrorCode.INSUFFICIENT_STOCK, sku=s.code, location=loc.code) from exc
    return level(uow, s.id, loc.id)


def _lock_levels(uow: UnitOfWork, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], StockLevel]:
    """Read levels to be set absolutely (counts, imports), locked in id order on PostgreSQL."""
    ensure_levels(uow, set(pairs))
    sku_ids = {s for s, _ in pairs}
    query = select(StockLevel).where(StockLevel.sku_id.in_(sku_ids)).order_by(StockLevel.id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    rows = {(lv.sku_id, lv.location_id): lv for lv in uow.session.scalars(query)}
    return {p: rows[p] for p in pairs}


def count_changes(uow: UnitOfWork, counted: dict[tuple[str, str], int], reason: str,
                  reference: str) -> list[StockChange]:
    """The ledger changes that make on-hand equal what was counted."""
    levels = _lock_levels(uow, sorted(counted))
    in_buckets = hot.bucket_totals(uow, counted)
    changes = []
    for pair, qty in counted.items():
        delta = qty - levels[pair].on_hand - in_buckets.get(pair, (0, 0))[0]
        if delta:
            changes.append(StockChange(pair[0], pair[1], reason, d_on_hand=delta, reference_type=reason,
                                       reference_id=reference))
    uow.session.expire_all()
    return changes


def cycle_count(uow: UnitOfWork, location: str, counts: dict[str, int], actor: str) -> list[StockChange]:
    """Set on-hand at `location` to what was counted. Refused whole if a count is below what is
    already allocated or reserved there (those units must be released or re-routed first)."""
    loc = resolve_location(uow, location)
    if any(not isinstance(q, int) or q < 0 for q in counts.values()):
        raise ValidationFailed("counted quantities must be whole numbers ≥ 0", ErrorCode.INVALID_QUANTITY)
    skus = {code: _stock_sku(uow, code) for code in counts}
    counted = {(skus[c].id, loc.id): q for c, q in counts.items()}
    changes = count_changes(uow, counted, LedgerReason.COUNT, ids.new_id("ledger"))
    apply_changes(uow, changes, actor, create_missing=False)
    return changes


def set_safety_stock(uow: UnitOfWork, sku: str, location: str, quantity: int) -> LevelView:
    if not isinstance(quantity, int) or quantity < 0:
        raise ValidationFailed("safety stock must be a whole number ≥ 0", ErrorCode.INVALID_QUANTITY)
    s, loc = _stock_sku(uow, sku), resolve_location(uow, location)
    ensure_levels(uow, {(s.id, loc.id)})
    uow.session.execute(update(StockLevel).where(StockLevel.sku_id == s.id, StockLevel.location_id == loc.id)
                        .values(safety_stock=quantity, updated_at=utcnow()))
    # Available-to-sell moved without a ledger entry: watchers hear of it like of any movement.
    uow.changed(STOCK_LEVELS_CHANGED, pair_key(s.id, loc.id))
    uow.after_commit(uow.caches.named(THRESHOLDS_CACHE).invalidate)
    return level(uow, s.id, loc.id)


# Stock thresholds per SKU×location (safety stock here, reorder points in purchasing), cached
# by the low-stock watch; whoever changes one invalidates it.
THRESHOLDS_CACHE = "stock_thresholds"


def safety_stocks(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """Every pair with a safety stock above zero."""
    rows = uow.session.execute(select(StockLevel.sku_id, StockLevel.location_id, StockLevel.safety_stock)
                               .where(StockLevel.safety_stock > 0))
    return {(sku_id, location_id): units for sku_id, location_id, units in rows}


def levels_of(uow: UnitOfWork, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], LevelView]:
    """The current levels of `pairs` (buckets added), as this transaction sees them."""
    if not pairs:
        return {}
    wanted = or_(*(and_(StockLevel.sku_id == sku_id, StockLevel.location_id == location_id)
                   for sku_id, location_id in pairs))
    rows = uow.session.scalars(select(StockLevel).where(wanted).execution_options(populate_existing=True)).all()
    return {(v.sku_id, v.location_id): v for v in _views(uow, list(rows))}


@dataclass(frozen=True, slots=True)
class LevelView:
    """A pair's stock as people see it: its level row plus, in hot-SKU mode, its buckets."""
    id: str
    sku_id: str
    location_id: str
    on_hand: int
    allocated: int
    reserved: int
    incoming: int
    safety_stock: int
    buckets: int = 0
    quarantined: int = 0  # damaged / defective returns: on the premises, never available

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.allocated - self.reserved - self.safety_stock)


def _views(uow: UnitOfWork, levels: list[StockLevel]) -> list[LevelView]:
    in_buckets = hot.bucket_totals(uow, [(lv.sku_id, lv.location_id) for lv in levels]) \
        if hot.hot_pairs(uow) else {}
    counts = dict.fromkeys(in_buckets, 1)
    return [LevelView(lv.id, lv.sku_id, lv.location_id,
                      lv.on_hand + in_buckets.get((lv.sku_id, lv.location_id), (0, 0))[0],
                      lv.allocated + in_buckets.get((lv.sku_id, lv.location_id), (0, 0))[1],
                      lv.reserved, lv.incoming, lv.safety_stock, counts.get((lv.sku_id, lv.location_id), 0),
                      lv.quarantined)
            for lv in levels]


def level(uow: UnitOfWork, sku_id: str, location_id: str) -> LevelView:
    found = uow.session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id,
                                                        StockLevel.location_id == location_id)
                               .execution_options(populate_existing=True))
    if found is None:
        raise NotFound("stock level", f"{sku_id}@{location_id}")
    return _views(uow, [found])[0]


def _for_sku_and_location(uow: UnitOfWork, query, model, sku: str | None, location: str | None):
    """Narrow a query on `model` (levels or ledger) to a SKU and/or location, each by id or code."""
    if sku:
        query = query.where(model.sku_id == (sku_id_of(uow, sku) or ""))
    if location:
        query = query.where(model.location_id.in_(
            select(Location.id).where((Location.code == location) | (Location.id == location))))
    return query


def list_levels(uow: UnitOfWork, *, sku: str | None, location: str | None, limit: int,
                cursor: str | None) -> Page[LevelView]:
    query = _for_sku_and_location(uow, select(StockLevel), StockLevel, sku, location)
    page = paginate(uow.session, query, StockLevel.id, limit, cursor, newest_first=False)
    return Page(_views(uow, page.items), page.next_cursor)


def list_ledger(uow: UnitOfWork, *, sku: str | None, location: str | None, reason: str | None,
                reference: str | None, limit: int, cursor: str | None,
                only_orders: Any = None) -> Page[StockLedgerEntry]:
    """Ledger entries, newest first. `only_orders` (a selectable of order ids, from the orders
    area) keeps just the entries about those orders: what a channel's key may see."""
    query = _for_sku_and_location(uow, select(StockLedgerEntry), StockLedgerEntry, sku, location)
    if only_orders is not None:
        query = query.where(StockLedgerEntry.reference_type == "order", StockLedgerEntry.reference_id.in_(only_orders))
    if reason:
        query = query.where(StockLedgerEntry.reason == reason)
    if reference:
        query = query.where(StockLedgerEntry.reference_id == reference)
    return paginate(uow.session, query, StockLedgerEntry.id, limit, cursor)


def low_stock(uow: UnitOfWork, at_most: int = 5, limit: int = 20) -> list[LevelView]:
    """Stock levels whose available-to-promise is `at_most` units or fewer, lowest first (pairs
    that never had stock are not listed: they have no level row)."""
    atp = StockLevel.on_hand - StockLevel.allocated - StockLevel.reserved - StockLevel.safety_stock
    rows = uow.session.scalars(select(StockLevel).where(atp <= at_most).order_by(atp, StockLevel.id).limit(limit))
    return _views(uow, list(rows))


def available_by_sku(uow: UnitOfWork, sku_ids: list[str], location_ids: list[str]) -> dict[str, int]:
    """Available-to-promise of each SKU summed over `location_ids` (each location counted ≥ 0)."""
    atp = StockLevel.on_hand - StockLevel.allocated - StockLevel.reserved - StockLevel.safety_stock
    totals: dict[str, int] = dict.fromkeys(sku_ids, 0)
    if sku_ids and location_ids:
        for sku_id, value in uow.session.execute(select(StockLevel.sku_id, atp).where(
                StockLevel.sku_id.in_(sku_ids), StockLevel.location_id.in_(location_ids))):
            totals[sku_id] += max(0, value)
        for (sku_id, location_id), (on_hand, allocated) in _hot_buckets(uow, sku_ids).items():
            if location_id in location_ids:
                totals[sku_id] += on_hand - allocated
    return totals


def _hot_buckets(uow: UnitOfWork, sku_ids: Iterable[str]) -> dict[tuple[str, str], tuple[int, int]]:
    wanted = set(sku_ids)
    pairs = [pair for pair in hot.hot_pairs(uow) if pair[0] in wanted]
    return hot.bucket_totals(uow, pairs) if pairs else {}


def sellable_on_hand(uow: UnitOfWork) -> list[tuple[str, str, int]]:
    """(location id, sku id, on hand − safety stock) of every stock level (for simulations)."""
    rows = uow.session.execute(select(StockLevel.location_id, StockLevel.sku_id,
                                      StockLevel.on_hand - StockLevel.safety_stock))
    in_buckets = hot.bucket_totals(uow)
    return [(loc, sku, qty + in_buckets.get((sku, loc), (0, 0))[0]) for loc, sku, qty in rows]


@dataclass(slots=True)
class Availability:
    sku: str
    by_location: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_location.values())


def availability(uow: UnitOfWork, sku: str) -> Availability:
    """Available-to-promise per active location; a kit's is what its scarcest part allows."""
    s = get_sku(uow, sku)
    parts = [(c.component_sku_id, c.quantity) for c in s.components] if s.is_kit else [(s.id, 1)]
    atp_expr = StockLevel.on_hand - StockLevel.allocated - StockLevel.reserved - StockLevel.safety_stock
    rows = uow.session.execute(
        select(StockLevel.sku_id, Location.code, atp_expr)
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.active.is_(True), StockLevel.sku_id.in_([p for p, _ in parts])))
    per_loc: dict[str, dict[str, int]] = {}
    for sku_id, code, atp in rows:
        per_loc.setdefault(code, {})[sku_id] = max(0, atp)
    buckets = _hot_buckets(uow, [p for p, _ in parts])
    if buckets:
        codes = {loc.id: loc.code for loc in uow.session.scalars(select(Location))}
        for (sku_id, location_id), (on_hand, allocated) in buckets.items():
            if codes[location_id] in per_loc:
                per_loc[codes[location_id]][sku_id] = per_loc[codes[location_id]].get(sku_id, 0) + on_hand - allocated
    return Availability(s.code, {code: min(stock.get(p, 0) // q for p, q in parts)
                                 for code, stock in per_loc.items()})


def reserve(uow: UnitOfWork, sku: str, location: str, quantity: int, ttl_seconds: int, reference: str,
            actor: str) -> Reservation:
    _positive(quantity)
    if not 0 < ttl_seconds <= 30 * 86400:
        raise ValidationFailed("ttl_seconds must be between 1 and 2592000")
    s, loc = _stock_sku(uow, sku), resolve_location(uow, location)
    r = Reservation(id=ids.new_id("reservation"), sku_id=s.id, location_id=loc.id, quantity=quantity,
                    reference=reference, expires_at=utcnow() + timedelta(seconds=ttl_seconds))
    apply_changes(uow, [StockChange(s.id, loc.id, LedgerReason.RESERVATION, d_reserved=quantity,
                                    reference_type="reservation", reference_id=r.id)], actor)
    uow.session.add(r)
    return r


def release_reservation(uow: UnitOfWork, reservation_id: str, actor: str, reason: str = "released") -> Reservation:
    r = uow.session.get(Reservation, reservation_id)
    if r is None:
        raise NotFound("reservation", reservation_id)
    if r.status != "active":
        raise Conflict(f"reservation is already {r.status}", status=r.status)
    _release(uow, [r], actor, reason)
    return r


def _release(uow: UnitOfWork, reservations: list[Reservation], actor: str, status: str) -> None:
    apply_changes(uow, [StockChange(r.sku_id, r.location_id, LedgerReason.RESERVATION_RELEASE,
                                    d_reserved=-r.quantity, reference_type="reservation", reference_id=r.id)
                        for r in reservations], actor, create_missing=False)
    for r in reservations:
        r.status = status


def expire_reservations(uow: UnitOfWork, now: datetime | None = None, actor: str = "system") -> int:
    """Release every active reservation past its expiry; returns how many."""
    query = select(Reservation).where(Reservation.status == "active",
                                      Reservation.expires_at <= (now or utcnow())).order_by(Reservation.id)
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    expired = list(uow.session.scalars(query.limit(1000)))
    if expired:
        _release(uow, expired, actor, "expired")
    return len(expired)


def total_on_hand(uow: UnitOfWork, sku_id: str) -> int:
    return uow.session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0))
                              .where(StockLevel.sku_id == sku_id)) or 0
