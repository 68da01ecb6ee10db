"""Phone orders: staff take an order as a draft, edit it while on the phone, then confirm it.

A draft reserves and allocates nothing; it is a row in `draft_orders` whose `data` holds the
order as taken (amounts in minor units of its currency):

    {"currency", "customer": {name, email, phone}, "billing_address", "shipping_address",
     "lines": [{sku, name, quantity, unit_price_minor, catalog_price_minor, override_reason,
                discount_minor, tax_minor}],
     "shipping_minor", "discount_minor", "notes", "tags", "locale"}

Line prices are fixed when a line is written (what staff told the customer), from the catalog
unless overridden — and an override must say why. Confirming (`channels/handlers.confirm_draft`)
places a real order through the placement engine with the draft id as external id, so the
channel's unique (channel, external id) makes a repeated confirm find the first order instead of
a second one; the draft's status change and a `draft.confirmed` timeline event (naming every
override) are written in the same transaction as the order.

Nothing here commits: the handlers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from conveyor.catalog.service import resolve_skus
from conveyor.channels.model import DraftOrder, DraftStatus
from conveyor.channels.service import ChannelInfo
from conveyor.inventory.service import availability
from conveyor.orders import timeline
from conveyor.orders.commands import Address, LineInput, PlaceOrder
from conveyor.orders.timeline import EventType
from conveyor.orders.validation import validate_command
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.money import format_minor
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

HEADER_FIELDS = ("customer", "billing_address", "shipping_address", "shipping_minor", "discount_minor",
                 "notes", "tags", "locale")


@dataclass(slots=True)
class DraftLine:
    sku: str
    quantity: int
    unit_price_minor: int | None = None  # None = the catalog price
    price_reason: str = ""  # required when the price differs from the catalog's
    discount_minor: int = 0
    tax_minor: int = 0
    name: str = ""


@dataclass(slots=True)
class Limits:
    max_lines: int = 500
    default_policy: str = "reject"


# --- writing drafts ---------------------------------------------------------------------------------


def create_draft(uow: UnitOfWork, channel: ChannelInfo, currency: str, changes: dict[str, Any], *, actor: str,
                 limits: Limits) -> DraftOrder:
    if not channel.active:
        raise ValidationFailed(f"channel {channel.code!r} is inactive", ErrorCode.UNKNOWN_CHANNEL,
                               channel=channel.code)
    data: dict[str, Any] = {
        "currency": currency, "customer": {"name": "", "email": "", "phone": ""}, "billing_address": None,
        "shipping_address": None, "lines": [], "shipping_minor": 0, "discount_minor": 0, "notes": "", "tags": [],
        "locale": ""}
    now = utcnow()
    draft = DraftOrder(id=ids.new_id("draft"), channel_id=channel.id, status=DraftStatus.DRAFT,
                       data=_apply(uow, data, changes, channel.code, limits), created_by=actor,
                       created_at=now, updated_at=now)
    uow.session.add(draft)
    uow.session.flush()
    return draft


def update_draft(uow: UnitOfWork, draft_id: str, channel: ChannelInfo, changes: dict[str, Any],
                 limits: Limits) -> DraftOrder:
    """Replace what `changes` names (lines are replaced as a whole and re-priced)."""
    draft = load_draft(uow, draft_id, channel.id, for_update=True)
    _still_a_draft(draft, "edit")
    draft.data = _apply(uow, draft.data, changes, channel.code, limits)
    draft.updated_at = utcnow()
    return draft


def discard_draft(uow: UnitOfWork, draft_id: str, channel_id: str) -> DraftOrder:
    """Discarding twice is fine; a confirmed draft has become an order (cancel that instead)."""
    draft = load_draft(uow, draft_id, channel_id, for_update=True)
    if draft.status != DraftStatus.DISCARDED:
        _still_a_draft(draft, "discard")
        draft.status, draft.updated_at = DraftStatus.DISCARDED, utcnow()
    return draft


def _still_a_draft(draft: DraftOrder, action: str) -> None:
    if draft.status != DraftStatus.DRAFT:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"cannot {action} a {draft.status} draft",
                          draft_status=draft.status, order_id=draft.order_id)


def _apply(uow: UnitOfWork, data: dict, changes: dict[str, Any], channel_code: str, limits: Limits) -> dict:
    """The draft data with `changes` applied, checked the way an order is checked."""
    data = {**data, **{k: v for k, v in changes.items() if k in HEADER_FIELDS}}
    if "lines" in changes:
        data["lines"] = price_lines(uow, changes["lines"], data["currency"])
    cmd = to_command(data, channel_code)
    validate_command(cmd, limits.max_lines)
    order_totals(data)  # refuses discounts above the subtotal
    return data


def price_lines(uow: UnitOfWork, lines: list[DraftLine], currency: str) -> list[dict]:
    skus = resolve_skus(uow, [li.sku for li in lines])  # 422 unknown_sku naming every unknown one
    inactive = sorted({li.sku for li in lines if not skus[li.sku].active})
    if inactive:
        raise ValidationFailed(f"inactive SKU(s): {', '.join(inactive)}", ErrorCode.INACTIVE_SKU, skus=inactive)
    priced = []
    for number, li in enumerate(lines, start=1):
        sku = skus[li.sku]
        catalog = sku.price_minor if sku.currency == currency else None
        price = catalog if li.unit_price_minor is None else li.unit_price_minor
        if price is None:
            raise ValidationFailed(f"line {number}: {li.sku} is priced in {sku.currency}, not {currency}; "
                                   "give unit_price and price_reason", line=number, sku=li.sku)
        overridden = price != catalog
        if overridden and not li.price_reason.strip():
            raise ValidationFailed(f"line {number}: the price of {li.sku} differs from the catalog; "
                                   "price_reason is required", line=number, sku=li.sku)
        priced.append({"sku": sku.code, "name": li.name or sku.name, "quantity": li.quantity,
                       "unit_price_minor": price, "catalog_price_minor": catalog,
                       "override_reason": li.price_reason.strip() if overridden else "",
                       "discount_minor": li.discount_minor, "tax_minor": li.tax_minor})
    return priced


# --- reading drafts ---------------------------------------------------------------------------------


def load_draft(uow: UnitOfWork, draft_id: str, channel_id: str, for_update: bool = False) -> DraftOrder:
    """The draft, or 404 — also when it belongs to another channel than the one in the path."""
    query = select(DraftOrder).where(DraftOrder.id == draft_id)
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update()
    draft = uow.session.scalar(query)
    if draft is None or draft.channel_id != channel_id:
        raise NotFound("draft", draft_id)
    return draft


def list_drafts(uow: UnitOfWork, channel_id: str, *, status: str | None = None, limit: int = 50,
                cursor: str | None = None) -> Page[DraftOrder]:
    query = select(DraftOrder).where(DraftOrder.channel_id == channel_id)
    if status:
        query = query.where(DraftOrder.status == status)
    return paginate(uow.session, query, DraftOrder.id, limit, cursor)


def available_to_promise(uow: UnitOfWork, drafts: list[DraftOrder]) -> dict[str, int]:
    """Current available-to-promise (all active locations) of every SKU on open drafts, so staff
    can tell the customer what can ship; confirmed and discarded drafts need none."""
    codes = sorted({li["sku"] for d in drafts if d.status == DraftStatus.DRAFT for li in d.data["lines"]})
    return {code: availability(uow, code).total for code in codes}


def order_totals(data: dict) -> dict[str, int]:
    lines = data["lines"]
    subtotal = sum(li["unit_price_minor"] * li["quantity"] for li in lines)
    discount = sum(li["discount_minor"] for li in lines) + data["discount_minor"]
    tax = sum(li["tax_minor"] for li in lines)
    if discount > subtotal:
        raise ValidationFailed("discounts exceed the order subtotal")
    return {"subtotal": subtotal, "discount": discount, "tax": tax, "shipping": data["shipping_minor"],
            "total": subtotal - discount + tax + data["shipping_minor"]}


def to_command(data: dict, channel_code: str, external_id: str | None = None) -> PlaceOrder:
    customer = data["customer"]

    def address(value: dict | None) -> Address | None:
        return Address(**value) if value else None

    return PlaceOrder(
        channel=channel_code, currency=data["currency"], external_id=external_id,
        lines=[LineInput(sku=li["sku"], quantity=li["quantity"], unit_price_minor=li["unit_price_minor"],
                         discount_minor=li["discount_minor"], tax_minor=li["tax_minor"], name=li["name"])
               for li in data["lines"]],
        customer_name=customer["name"], customer_email=customer["email"], customer_phone=customer["phone"],
        billing_address=address(data["billing_address"]), shipping_address=address(data["shipping_address"]),
        shipping_minor=data["shipping_minor"], order_discount_minor=data["discount_minor"],
        notes=data["notes"], tags=list(data["tags"]),
        locale=data.get("locale", ""))  # the language staff heard on the phone (drafts before it: none)


# --- confirming -------------------------------------------------------------------------------------


def still_a_draft(draft: DraftOrder) -> None:
    _still_a_draft(draft, "confirm")


def link_order(uow: UnitOfWork, draft: DraftOrder, order_id: str, actor: str) -> None:
    """Mark the draft confirmed as `order_id`, with a `draft.confirmed` event on the order's timeline.
    Guarded, so a concurrent confirm that already linked the draft makes this a no-op."""
    result = uow.session.execute(
        update(DraftOrder).where(DraftOrder.id == draft.id, DraftOrder.status == DraftStatus.DRAFT)
        .values(status=DraftStatus.CONFIRMED, order_id=order_id, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    changed: int = getattr(result, "rowcount", 0)  # a CursorResult: how many drafts this confirm linked
    if changed:
        timeline.append(uow, order_id, EventType.DRAFT_CONFIRMED, confirmed_event(draft), actor)


def confirmed_event(draft: DraftOrder) -> dict[str, Any]:
    """What the order's timeline keeps of the draft: who took it and every price override."""
    cur = draft.data["currency"]
    overrides = [{"line_no": n, "sku": li["sku"], "unit_price": format_minor(li["unit_price_minor"], cur),
                  "catalog_price": None if li["catalog_price_minor"] is None
                  else format_minor(li["catalog_price_minor"], cur), "reason": li["override_reason"]}
                 for n, li in enumerate(draft.data["lines"], start=1) if li["override_reason"]]
    return {"draft_id": draft.id, "taken_by": draft.created_by, "price_overrides": overrides}
