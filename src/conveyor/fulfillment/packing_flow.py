"""Packing at the bench: scan-to-verify into packages, close a package with its weight and
dimensions, a box suggestion, and the packing slip in the order's language. The scanning rules
are `fulfillment/packing.py`; this module keeps the session's state in the fulfilment order's
lines (`packed`) and its open package. Nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy import select

from conveyor.catalog.service import get_sku, list_skus, resolve_skus
from conveyor.fulfillment import service
from conveyor.fulfillment.boxes import BoxSuggestion, PackItem, suggest_box
from conveyor.fulfillment.documents import PackingSlip, SlipLine, render_packing_slip_pdf
from conveyor.fulfillment.model import FulfilmentOrder, Package
from conveyor.fulfillment.packing import Package as SessionPackage
from conveyor.fulfillment.packing import PackingSession, PackLine, ScanResult, as_gtin14
from conveyor.fulfillment.setup import as_box, get_box, list_boxes
from conveyor.fulfillment.states import FoStatus
from conveyor.inventory.locations import get_location
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping.addresses import Address

PACKABLE = (FoStatus.RELEASED, FoStatus.PICKING)


def packages_of(uow: UnitOfWork, fo_id: str) -> list[Package]:
    return list(uow.session.scalars(select(Package).where(Package.fulfilment_order_id == fo_id)
                                    .order_by(Package.number)))


def _session(uow: UnitOfWork, fo: FulfilmentOrder, catalog: dict[str, str] | None = None) -> PackingSession:
    skus = resolve_skus(uow, sorted({li.sku_code for li in fo.lines}))
    lines = [PackLine(li.id, li.sku_code, li.quantity, tuple(b for b in [skus[li.sku_code].barcode] if b),
                      skus[li.sku_code].name) for li in fo.lines if li.quantity > 0]
    packages = [SessionPackage(p.number, dict(p.contents), p.box_code, p.weight_grams, p.length_mm, p.width_mm,
                               p.height_mm) for p in packages_of(uow, fo.id)]
    if packages and packages[-1].weight_grams is not None:
        packages.append(SessionPackage(packages[-1].number + 1))
    return PackingSession(lines, catalog, {li.id: li.packed for li in fo.lines}, packages)


def _catalog_entry(uow: UnitOfWork, code: str) -> dict[str, str]:
    """The product a scanned code belongs to, if any (to tell "wrong item" from "unknown")."""
    try:
        return {code: get_sku(uow, code.strip()).code}
    except NotFound:
        pass
    gtin = as_gtin14(code.strip())
    variants = {code.strip()} | ({gtin, gtin[1:], gtin[2:]} if gtin else set())
    for variant in sorted(variants):
        found = list_skus(uow, limit=1, cursor=None, barcode=variant).items
        if found:
            return {code: found[0].code}
    return {}


def scan(uow: UnitOfWork, fo: FulfilmentOrder, code: str, actor: str) -> ScanResult:
    """One scan at the packing bench: the unit goes into the open package, or the scan is
    refused with the packer's message (`scan_refused`, nothing changes)."""
    if fo.status not in PACKABLE:
        raise ValidationFailed(f"fulfilment order {fo.id} is {fo.status}: nothing to pack",
                               ErrorCode.ILLEGAL_TRANSITION)
    session = _session(uow, fo)
    result = session.scan(code)
    if not result.accepted:
        session = _session(uow, fo, _catalog_entry(uow, code))
        result = session.scan(code)
        raise DomainError(ErrorCode.SCAN_REFUSED, result.message, outcome=result.outcome, scanned=result.code,
                          sku=result.sku, packed=result.packed, expected=result.expected)
    if fo.status == FoStatus.RELEASED:  # packed straight from the shelf, without a pick list
        service.move(fo, FoStatus.PICKING, "pack")
    _save_scan(uow, fo, session, result)
    return result


def _save_scan(uow: UnitOfWork, fo: FulfilmentOrder, session: PackingSession, result: ScanResult) -> None:
    line = next(li for li in fo.lines if li.id == result.line_id)
    line.packed = session.packed[line.id]
    line.picked = max(line.picked, line.packed)
    open_package = _open_package(uow, fo)
    open_package.contents = dict(session.current.lines)
    fo.updated_at = utcnow()


def _open_package(uow: UnitOfWork, fo: FulfilmentOrder) -> Package:
    packages = packages_of(uow, fo.id)
    if packages and packages[-1].status == "open":
        return packages[-1]
    package = Package(id=ids.new_id("package"), fulfilment_order_id=fo.id, number=len(packages) + 1, status="open",
                      contents={}, created_at=utcnow())
    uow.session.add(package)
    return package


def unpack(uow: UnitOfWork, fo: FulfilmentOrder, line_id: str) -> None:
    """Take one unit of a fulfilment-order line back out of the open package (a mis-scan)."""
    if fo.status not in PACKABLE:
        raise ValidationFailed(f"fulfilment order {fo.id} is {fo.status}", ErrorCode.ILLEGAL_TRANSITION)
    session = _session(uow, fo)
    session.unpack(line_id)
    line = next(li for li in fo.lines if li.id == line_id)
    line.packed = session.packed[line_id]
    _open_package(uow, fo).contents = dict(session.current.lines)


def close_package(uow: UnitOfWork, fo: FulfilmentOrder, actor: str, *, weight_grams: int, box_code: str | None = None,
                  length_mm: int | None = None, width_mm: int | None = None,
                  height_mm: int | None = None) -> Package:
    """Weigh and measure the open package (a configured box gives the dimensions when they are
    not measured) and close it. Once every unit is packed the fulfilment order is `packed`."""
    if fo.status not in PACKABLE:
        raise ValidationFailed(f"fulfilment order {fo.id} is {fo.status}", ErrorCode.ILLEGAL_TRANSITION)
    if box_code and None in (length_mm, width_mm, height_mm):
        box = get_box(uow, box_code)
        length_mm, width_mm, height_mm = box.length_mm, box.width_mm, box.height_mm
    if None in (length_mm, width_mm, height_mm):
        raise ValidationFailed("give the package's dimensions or a box code")
    session = _session(uow, fo)
    closed = session.close_package(weight_grams, int(length_mm or 0), int(width_mm or 0), int(height_mm or 0),
                                   box_code)
    package = _open_package(uow, fo)
    package.status, package.closed_at, package.box_code = "closed", utcnow(), box_code
    package.weight_grams, package.length_mm, package.width_mm, package.height_mm = (
        closed.weight_grams, closed.length_mm, closed.width_mm, closed.height_mm)
    if session.complete:
        service.move(fo, FoStatus.PACKED, "pack")
        service.announce(uow, fo, EventType.FULFILMENT_PACKED, actor, {
            "packages": [{"number": p.number, "weight_grams": p.weight_grams, "box": p.box_code}
                         for p in session.closed_packages()]})
    return package


def reopen(uow: UnitOfWork, fo: FulfilmentOrder, actor: str) -> FulfilmentOrder:
    """A packed fulfilment order back to the bench (before any label was bought)."""
    service.move(fo, FoStatus.PICKING, "reopen")
    service.announce(uow, fo, EventType.FULFILMENT_CHANGED, actor, {"reason": "reopened for packing"})
    return fo


def box_suggestion(uow: UnitOfWork, fo: FulfilmentOrder) -> BoxSuggestion:
    """The smallest configured box all the fulfilment order's units fit (or several boxes)."""
    skus = resolve_skus(uow, sorted({li.sku_code for li in fo.lines}))
    items = []
    for line in fo.lines:
        sku = skus[line.sku_code]
        if line.quantity > 0:
            if min(sku.length_mm, sku.width_mm, sku.height_mm) <= 0:
                raise ValidationFailed(f"SKU {sku.code} has no dimensions: set length, width and height first",
                                       sku=sku.code)
            items.append(PackItem(sku.code, sku.length_mm, sku.width_mm, sku.height_mm, sku.weight_grams,
                                  line.quantity))
    boxes = [as_box(b) for b in list_boxes(uow, active_only=True)]
    if not boxes:
        raise ValidationFailed("no box sizes configured (PUT /api/v1/box-sizes/{code})")
    return suggest_box(items, boxes)


# --- the packing slip -----------------------------------------------------------------------------

def order_language(order: Any, requested: str | None = None) -> str:
    """The language a customer document is printed in: as asked, else the customer's language
    stored on the order (`locale`, the one its e-mails are written in), else the order's `lang:xx`
    tag, else the main language of the shipping country (CLDR likely subtags), else English."""
    if requested:
        return requested
    if getattr(order, "locale", ""):
        return str(order.locale)
    for tag in order.tags or []:
        if str(tag).lower().startswith("lang:"):
            return str(tag)[5:]
    country = (order.shipping_address or {}).get("country") or ""
    try:
        return Locale.parse(f"und_{country.upper()}").language if country else "en"
    except (UnknownLocaleError, ValueError):
        return "en"


def address_of(data: dict[str, Any] | None, fallback_name: str = "") -> Address:
    data = data or {}
    return Address(name=data.get("name") or fallback_name, line1=data.get("line1", ""), city=data.get("city", ""),
                   postal_code=data.get("postal_code", ""), country=data.get("country", ""),
                   line2=data.get("line2", ""), region=data.get("region", ""), company=data.get("company", ""),
                   phone=data.get("phone", ""))


def location_address(uow: UnitOfWork, location_id: str) -> Address:
    loc = get_location(uow, location_id)
    return Address(name=loc.name, line1=loc.address_line1, city=loc.city, postal_code=loc.postal_code,
                   country=loc.country, line2=loc.address_line2, region=loc.region)


def packing_slip(uow: UnitOfWork, fo: FulfilmentOrder, language: str | None = None, priced: bool = True) -> bytes:
    order = get_order(uow, fo.order_id)
    by_line = {li.id: li for li in order.lines}
    units = service.line_units(fo)
    lines = tuple(SlipLine(by_line[line_id].sku_code, by_line[line_id].name, qty,
                           by_line[line_id].unit_price_minor if priced else None)
                  for line_id, qty in units.items())
    created: datetime = as_utc(order.created_at)
    slip = PackingSlip(order.external_id or order.id, created.date(),
                       address_of(order.shipping_address, order.customer_name), location_address(uow, fo.location_id),
                       lines, order_language(order, language), order.currency,
                       " ".join(part for part in (fo.carrier.upper(), fo.service) if part))
    return render_packing_slip_pdf(slip)
