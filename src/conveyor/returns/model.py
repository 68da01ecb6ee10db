"""Returns (RMAs), their lines, and store credit.

A return belongs to one order; several returns per order are normal. Each line is one stock SKU
of one order line: a plain line's SKU, or one part of a kit (a kit returned whole is stored as
its parts, so grading, stock and money all work part by part). The quantities move along the
life of the return: requested → approved → received → graded (resellable + damaged + defective +
wrong_item + missing = received + missing = approved).

Money is stored per line once the return is resolved: what the units are worth, the restocking fee
kept, and how the value goes back (refund to the original payment, store credit, or exchange).
`refund_due_minor` on the return is what still has to go back to the original payment.

Store credit is a ledger per customer (their e-mail, lower case; `order:<id>` without one) and
currency: its balance is the sum of its entries, nothing else is stored.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_order", "order_id", "id"),
        Index("ix_returns_status_id", "status", "id"),
        Index("ix_returns_exchange_order", "exchange_order_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(120), unique=True)  # what people quote: "<order>-R1"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    channel_id: Mapped[str] = mapped_column(String(40))  # the order's, for channel-scoped keys
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))  # staff | customer | in_store
    in_store: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the units are to be received (required for a label or in store; else chosen at receipt).
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    customer_key: Mapped[str] = mapped_column(String(254))  # store credit goes to this customer
    note: Mapped[str] = mapped_column(Text, default="")
    waived: Mapped[list[str]] = mapped_column(JsonDoc, default=list)  # policy refusals staff waived
    return_by: Mapped[date | None] = mapped_column(Date, default=None)  # the parcel should arrive by
    # The return label (bought through the shipping module's carrier adapter).
    label_carrier: Mapped[str] = mapped_column(String(50), default="")
    label_service: Mapped[str] = mapped_column(String(50), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    label_provider: Mapped[str] = mapped_column(String(30), default="")
    label_provider_ref: Mapped[str] = mapped_column(String(100), default="")
    label_cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    label_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Exchange: the replacement order, placed (its stock reserved) when the return was approved.
    exchange_order_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # Money, once resolved (minor units of `currency`).
    goods_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # what the refundable units cost
    restocking_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    store_credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    exchange_credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    exchange_charge_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # the customer still pays
    refund_due_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # to the original payment, not yet sent
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # sent to the original payment
    refund_status: Mapped[str] = mapped_column(String(20), default="")  # "" | due | refunded | failed | none
    refund_reference: Mapped[str] = mapped_column(String(100), default="")  # the payments area's refund id
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    lines: Mapped[list[ReturnLine]] = relationship(order_by="ReturnLine.id", lazy="selectin")


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        Index("ix_return_lines_return", "return_id"),
        Index("ix_return_lines_order_line", "order_line_id"),
        CheckConstraint("requested > 0 AND approved >= 0 AND received >= 0", name="quantities_valid"),
        CheckConstraint("resellable >= 0 AND damaged >= 0 AND defective >= 0 AND wrong_item >= 0 AND missing >= 0",
                        name="grades_not_negative"),
        CheckConstraint("resellable + damaged + defective + wrong_item + missing <= approved", name="graded_within"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"))
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"))
    line_no: Mapped[int] = mapped_column(Integer)  # the order line's number, for people
    sku_id: Mapped[str] = mapped_column(String(40))  # the stock SKU that comes back
    sku_code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300), default="")
    kit_part: Mapped[bool] = mapped_column(Boolean, default=False)  # a part of a kit line
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    requested: Mapped[int] = mapped_column(Integer)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    resellable: Mapped[int] = mapped_column(Integer, default=0)
    damaged: Mapped[int] = mapped_column(Integer, default=0)
    defective: Mapped[int] = mapped_column(Integer, default=0)
    wrong_item: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    graded: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(20), default="refund")  # refund | store_credit | exchange
    exchange_sku: Mapped[str | None] = mapped_column(String(100), default=None)  # the replacement's SKU code
    exchange_quantity: Mapped[int] = mapped_column(Integer, default=0)
    # Money once resolved: what these units are worth back, the fee kept, the tax inside the amount.
    refundable_units: Mapped[int] = mapped_column(Integer, default=0)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # the order line's, for e-mails


class StoreCreditEntry(Base):
    """One movement of a customer's store credit: + given (a return), − spent or taken back."""

    __tablename__ = "store_credit_entries"
    __table_args__ = (Index("ix_store_credit_customer", "customer_key", "currency", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(254))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(30))  # return | redeemed | adjustment
    return_id: Mapped[str | None] = mapped_column(ForeignKey("returns.id"), default=None)
    order_id: Mapped[str | None] = mapped_column(String(40), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

