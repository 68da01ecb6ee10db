"""Finding past customers in past orders, for staff taking an order by phone.

There is no customer table: a customer is whoever placed orders under one e-mail address (or,
without one, one phone number, or else one name). The lookup is one query: the matching orders,
grouped by that identity with a window function, the newest order of each group giving the
name and last addresses. E-mail and phone are exact matches served by indexes
(`ix_orders_customer_email`, `ix_orders_customer_phone`); a name fragment is a substring match
and scans, so it needs a few characters and the answer is always limited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from conveyor.orders.model import Order
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.uow import UnitOfWork

MIN_NAME_FRAGMENT = 3
MAX_RESULTS = 50
_PHONE = re.compile(r"^\+?[\d\s().-]{6,40}$")


@dataclass(slots=True)
class PastCustomer:
    name: str
    email: str
    phone: str
    billing_address: dict[str, Any] | None
    shipping_address: dict[str, Any] | None
    order_count: int
    last_order_id: str
    last_order_at: datetime


def matching(q: str) -> tuple[str, ColumnElement[bool]]:
    """What `q` looks like (email, phone or name) and the condition that finds it."""
    q = q.strip()
    if "@" in q:
        return "email", Order.customer_email == q.lower()  # stored lower-cased by every intake
    if _PHONE.match(q):
        digits = re.sub(r"\D", "", q)
        # Exact matches only, so the index is used: as typed, digits only, or +digits.
        return "phone", Order.customer_phone.in_(sorted({q, digits, f"+{digits}"}))
    if len(q) < MIN_NAME_FRAGMENT:
        raise ValidationFailed(f"give an e-mail, a phone number or at least {MIN_NAME_FRAGMENT} "
                               "characters of a name")
    return "name", Order.customer_name.icontains(q, autoescape=True)


def find_customers(uow: UnitOfWork, q: str, *, limit: int = 10,
                   channel_id: str | None = None) -> list[PastCustomer]:
    """Distinct past customers matching `q`, most recent first; `channel_id` limits the search
    to one channel's orders (channel keys must not see other channels' customers)."""
    _, condition = matching(q)
    identity = case((Order.customer_email != "", Order.customer_email),
                    (Order.customer_phone != "", Order.customer_phone), else_=Order.customer_name)
    newest_first = (Order.created_at.desc(), Order.id.desc())
    ranked = select(
        Order.id, Order.customer_name, Order.customer_email, Order.customer_phone, Order.billing_address,
        Order.shipping_address, Order.created_at,
        func.row_number().over(partition_by=identity, order_by=newest_first).label("rank"),
        func.count().over(partition_by=identity).label("order_count"),
    ).where(condition)
    if channel_id:
        ranked = ranked.where(Order.channel_id == channel_id)
    newest = ranked.subquery()
    rows = uow.session.execute(
        select(newest).where(newest.c.rank == 1)
        .order_by(newest.c.created_at.desc(), newest.c.id.desc()).limit(max(1, min(limit, MAX_RESULTS))))
    return [PastCustomer(r.customer_name, r.customer_email, r.customer_phone, r.billing_address,
                         r.shipping_address, r.order_count, r.id, r.created_at) for r in rows]
