"""A person's data in the orders area: finding their orders, exporting them, erasing them.

There is no customer table (orders/customers.py): a person is whoever placed orders under one
e-mail address or phone number. Erasure anonymises the contact details, addresses and the copies
of them on the timeline, and keeps everything financial — lines, prices, totals, allocations,
shipments and the stock ledger — so the books and `conveyor audit` still add up.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select

from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Order, OrderEvent
from conveyor.shared import pii
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.uow import UnitOfWork

# An order still being worked on needs its address; erase after it is finished.
FINISHED = frozenset({Status.FULFILLED, Status.DELIVERED, Status.COMPLETED, Status.CANCELLED})


def person_orders(uow: UnitOfWork, email: str = "", phone: str = "", for_update: bool = False) -> list[Order]:
    """Every order placed under this e-mail address or phone number (exact matches, indexed)."""
    conditions = []
    if email.strip():
        conditions.append(Order.customer_email == email.strip().lower())  # stored lower-cased
    if phone.strip():
        digits = re.sub(r"\D", "", phone)
        if len(digits) < 6:
            raise ValidationFailed("a phone number needs at least 6 digits")
        conditions.append(Order.customer_phone.in_(sorted({phone.strip(), digits, f"+{digits}"})))
    if not conditions:
        raise ValidationFailed("name the person by e-mail address or phone number")
    # No limit: an erasure must cover every order of the person (exact matches, so it is theirs only).
    query = select(Order).where(or_(*conditions)).order_by(Order.id)
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update(of=Order)  # nobody changes an address while it is erased
    return list(uow.session.scalars(query))


def export_orders(uow: UnitOfWork, orders: list[Order]) -> list[dict[str, Any]]:
    """Everything the orders area holds about these orders' customer, as plain JSON."""
    events = _events(uow, [o.id for o in orders])
    return [{
        "id": o.id, "channel_id": o.channel_id, "external_id": o.external_id, "order_number": o.order_number,
        "status": o.status, "created_at": o.created_at.isoformat(), "currency": o.currency,
        "customer": {"name": o.customer_name, "email": o.customer_email, "phone": o.customer_phone},
        "billing_address": o.billing_address, "shipping_address": o.shipping_address,
        "locale": o.locale, "notes": o.notes,
        "lines": [{"sku": li.sku_code, "name": li.name, "quantity": li.quantity,
                   "unit_price_minor": li.unit_price_minor, "total_minor": li.total_minor} for li in o.lines],
        "total_minor": o.total_minor,
        "timeline": [{"type": e.type, "at": e.created_at.isoformat(), "data": e.data} for e in events.get(o.id, [])],
    } for o in orders]


def erase_orders(uow: UnitOfWork, orders: list[Order]) -> int:
    """Anonymise these orders' customer in place; the financial record stays. Returns how many
    timeline entries held personal data and were scrubbed."""
    known = {order.id: _known_values(order) for order in orders}
    for order in orders:
        order.notes = pii.erase_text(order.notes, known[order.id])  # a delivery note may name and reach them
        order.customer_name, order.customer_email, order.customer_phone = pii.ERASED, "", ""
        order.billing_address = pii.erase_address(order.billing_address)
        order.shipping_address = pii.erase_address(order.shipping_address)
        order.ship_to_key = None  # the address digest identifies the address too
    scrubbed = 0
    for order_id, entries in _events(uow, [o.id for o in orders]).items():
        for event in entries:
            clean = pii.scrub(event.data or {}, known=known[order_id])  # staff notes: their words stay
            if clean != (event.data or {}):
                event.data = clean
                scrubbed += 1
    uow.session.flush()
    return scrubbed


def _known_values(order: Order) -> tuple[str, ...]:
    """How the person appears on this order: what free text about them may repeat."""
    names = [(address or {}).get("name") or "" for address in (order.billing_address, order.shipping_address)]
    return tuple(v for v in (order.customer_name, order.customer_email, order.customer_phone, *names) if v)


def unfinished(orders: list[Order]) -> list[str]:
    return [o.id for o in orders if o.status not in FINISHED]


def _events(uow: UnitOfWork, order_ids: list[str]) -> dict[str, list[OrderEvent]]:
    found: dict[str, list[OrderEvent]] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start:start + 500]
        for event in uow.session.scalars(select(OrderEvent).where(OrderEvent.order_id.in_(chunk))
                                         .order_by(OrderEvent.id)):
            found.setdefault(event.order_id, []).append(event)
    return found
