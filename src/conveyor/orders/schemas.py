"""Order request and response models for the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from conveyor.api.schemas import Amount, Code, Currency, Email, PlainJson, ShortText, Strict
from conveyor.orders.commands import Address, LineInput, PaymentInput, PlaceOrder
from conveyor.orders.model import Order
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.money import format_minor, to_minor

LOCALE = r"^([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*)?$"


class AddressIn(Strict):
    name: ShortText = ""
    company: ShortText = ""
    line1: ShortText = ""
    line2: ShortText = ""
    city: Annotated[str, Field(max_length=100)] = ""
    region: Annotated[str, Field(max_length=100)] = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"
    phone: Annotated[str, Field(max_length=40)] = ""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None

    def to_command(self) -> Address:
        return Address(**self.model_dump())


class CustomerIn(Strict):
    name: ShortText = ""
    email: Email | None = None
    phone: Annotated[str, Field(max_length=40)] = ""


class LineIn(Strict):
    sku: Code
    quantity: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
    unit_price: Amount = "0"
    discount: Amount = "0"
    tax: Amount = "0"
    name: ShortText = ""


class OrderPaymentIn(Strict):
    """How the customer pays; taken at placement as the channel's payment terms say (docs/money.md)."""
    provider: Annotated[str, Field(pattern=r"^[a-z_]{2,30}$", examples=["test", "stripe", "manual"])]
    method: Annotated[str, Field(pattern=r"^[a-z_]{2,30}$", examples=["card", "bank_transfer"])] = "card"
    token: Annotated[str, Field(max_length=200, description="A Stripe PaymentMethod id (pm_…) or a test card")] = ""
    customer: Annotated[str, Field(max_length=200)] = ""


class OrderIn(Strict):
    channel: Code | None = Field(None, description="Channel code; a channel key may only use its own")
    external_id: Code | None = Field(None, description="The channel's own order id; unique per channel")
    currency: Currency
    customer: CustomerIn = CustomerIn()
    billing_address: AddressIn | None = None
    shipping_address: AddressIn | None = None
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    shipping: Amount = "0"
    discount: Amount = Field("0", description="Order-level discount on top of line discounts")
    notes: Annotated[str, Field(max_length=5000)] = ""
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=50)] = []
    locale: Annotated[str, Field(max_length=35, pattern=LOCALE)] = Field(
        "", description="The customer's language (BCP 47, e.g. `de-AT`): notifications are written in it "
                        "(English when empty or not available)", examples=["de-AT"])
    payment: OrderPaymentIn | None = None

    def to_command(self, channel: str) -> PlaceOrder:
        cur = self.currency
        return PlaceOrder(
            channel=channel, currency=cur, external_id=self.external_id,
            customer_name=self.customer.name, customer_email=(self.customer.email or "").lower(),
            customer_phone=self.customer.phone,
            billing_address=self.billing_address.to_command() if self.billing_address else None,
            shipping_address=self.shipping_address.to_command() if self.shipping_address else None,
            lines=[LineInput(sku=li.sku, quantity=li.quantity, unit_price_minor=to_minor(li.unit_price, cur),
                             discount_minor=to_minor(li.discount, cur), tax_minor=to_minor(li.tax, cur),
                             name=li.name) for li in self.lines],
            shipping_minor=to_minor(self.shipping, cur), order_discount_minor=to_minor(self.discount, cur),
            notes=self.notes, tags=list(dict.fromkeys(self.tags)), locale=self.locale,
            payment=PaymentInput(**self.payment.model_dump()) if self.payment else None,
        )


class LineOut(BaseModel):
    id: str
    line_no: int
    sku: str
    name: str
    platform_line_id: str | None = None
    quantity: int
    unit_price: str
    discount: str
    tax: str
    total: str
    allocated: int
    backordered: int
    shipped: int
    delivered: int
    cancelled: int
    returned: int


class AllocationOut(BaseModel):
    line_id: str
    sku_id: str
    location_id: str
    quantity: int
    shipped: int


class TotalsOut(BaseModel):
    subtotal: str
    discount: str
    tax: str
    shipping: str
    total: str


class OrderOut(BaseModel):
    id: str
    channel_id: str
    external_id: str | None
    order_number: str | None = None
    status: str
    hold_reason: str | None
    currency: str
    customer: dict[str, str]
    billing_address: dict[str, Any] | None
    shipping_address: dict[str, Any] | None
    lines: list[LineOut]
    allocations: list[AllocationOut]
    totals: TotalsOut
    channel_totals: dict[str, Any] | None = Field(
        None, description="The channel's own figures exactly as sent (money strings), next to `computed`")
    channel_payment: str | None = Field(None, description="Payment state as the channel last reported it")
    notes: str
    tags: list[str]
    locale: str = ""
    priority: str = "normal"
    preferred_service: dict[str, str] | None = None
    hold_until: datetime | None = None
    created_at: datetime
    updated_at: datetime
    # Only on GET /orders/{id}: where each part ships from and how far it got; what left.
    fulfilment_orders: list[dict[str, Any]] | None = None
    shipments: list[dict[str, Any]] | None = None


def render_order(order: Order) -> dict[str, Any]:
    """The JSON body of an order (plain dict: built without re-validating, it is our own data)."""
    cur = order.currency

    def m(minor: int) -> str:
        return format_minor(minor, cur)

    return PlainJson({
        "id": order.id, "channel_id": order.channel_id, "external_id": order.external_id,
        "order_number": order.order_number, "status": order.status, "hold_reason": order.hold_reason, "currency": cur,
        "customer": {"name": order.customer_name, "email": order.customer_email, "phone": order.customer_phone},
        "billing_address": order.billing_address, "shipping_address": order.shipping_address,
        "lines": [{"id": li.id, "line_no": li.line_no, "sku": li.sku_code, "name": li.name,
                   "platform_line_id": li.platform_line_id,
                   "quantity": li.quantity, "unit_price": m(li.unit_price_minor), "discount": m(li.discount_minor),
                   "tax": m(li.tax_minor), "total": m(li.total_minor), "allocated": li.allocated,
                   "backordered": li.backordered, "shipped": li.shipped, "delivered": li.delivered,
                   "cancelled": li.cancelled, "returned": li.returned} for li in order.lines],
        "allocations": [{"line_id": a.line_id, "sku_id": a.sku_id, "location_id": a.location_id,
                         "quantity": a.quantity, "shipped": a.shipped} for a in order.allocations],
        "totals": {"subtotal": m(order.subtotal_minor), "discount": m(order.discount_minor),
                   "tax": m(order.tax_minor), "shipping": m(order.shipping_minor), "total": m(order.total_minor)},
        "channel_totals": render_channel_totals(order.channel_totals),
        "channel_payment": order.channel_payment,
        "notes": order.notes, "tags": list(order.tags or []),
        "locale": order.locale or "", "priority": order.priority or "normal",
        "preferred_service": ({"carrier": order.preferred_carrier, "service": order.preferred_service}
                              if order.preferred_carrier or order.preferred_service else None),
        "hold_until": _iso(order.hold_until) if order.hold_until else None,
        "created_at": _iso(order.created_at), "updated_at": _iso(order.updated_at),
    })


def render_channel_totals(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored document with every `…_minor` figure as money in its currency ("249.99")."""
    if not document:
        return None
    currency = document.get("currency", "")

    def shown(part: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in part.items():
            if key.endswith("_minor"):
                out[key.removesuffix("_minor")] = None if value is None else _money_or_minor(value, currency)
            elif isinstance(value, dict) and key != "as_sent":
                out[key] = shown(value)
            else:
                out[key] = value
        return out

    return shown(document)


def _money_or_minor(minor: int, currency: str) -> str:
    try:
        return format_minor(minor, currency)
    except ValidationFailed:  # a currency we don't know: the figure stays in minor units
        return str(minor)


def _iso(value: datetime) -> str:
    from conveyor.shared.clock import as_utc

    return as_utc(value).isoformat().replace("+00:00", "Z")


class CancelIn(Strict):
    lines: dict[str, Annotated[int, Field(ge=1, strict=True)]] | None = Field(
        None, description="{line id or line number: quantity}; omit to cancel everything still open")
    reason: Annotated[str, Field(max_length=500)] = ""


class HoldIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    until: datetime | None = Field(None, description="Lift the hold automatically at this time (with a zone)")


class NoteIn(Strict):
    text: Annotated[str, Field(min_length=1, max_length=5000)]


class TagsIn(Strict):
    add: Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=50)] = []
    remove: Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=50)] = []


class ShipIn(Strict):
    location: Code
    lines: dict[str, Annotated[int, Field(ge=1, strict=True)]] | None = None
    carrier: Annotated[str, Field(max_length=50)] = ""
    tracking_number: Annotated[str, Field(max_length=100)] = ""
    # Records a shipment the checks refuse (no carrier, no tracking number, a number failing its
    # carrier's check digit, no shipping address): say why, it goes on the timeline.
    override_reason: Annotated[str, Field(max_length=200)] | None = None


class DeliverIn(Strict):
    shipment_id: str | None = None


class EventOut(BaseModel):
    id: str
    type: str
    actor: str
    data: dict[str, Any]
    created_at: datetime
