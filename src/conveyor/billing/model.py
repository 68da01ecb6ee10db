"""Billing tables: invoices and credit notes with their lines, and the number series counters.

A document's number comes from its series counter row (one per kind, legal entity and year),
incremented in the transaction that inserts the document, so a rolled-back issue gives its number
back and the series stays gap-free (`billing/service.py`). Documents keep the seller and buyer as
they were at issue, and their lines as issued, so the PDF can always be drawn again the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class DocumentSeries(Base):
    """One number series: `key` is `SeriesKey.key` (e.g. ``invoice:default:2026``)."""

    __tablename__ = "document_series"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class _DocumentColumns:
    """What invoices and credit notes share."""

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    series_key: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int] = mapped_column(BigInteger)
    legal_entity: Mapped[str] = mapped_column(String(50))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    language: Mapped[str] = mapped_column(String(5))
    currency: Mapped[str] = mapped_column(String(3))
    net_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    # Provider whose clearing account the money went through (for the journal).
    provider: Mapped[str] = mapped_column(String(30), default="")
    seller: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    buyer: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    order_reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Invoice(_DocumentColumns, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("series_key", "seq", name="uq_invoices_series_seq"),
        Index("ix_invoices_order", "order_id", "id"),
        Index("ix_invoices_issued_at", "issued_at"),
    )

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    shipping_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # shipping on this invoice, tax included
    shipping_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # What issued it: capture (a capture attempt id), shipment (a shipment id), placement.
    cause: Mapped[str] = mapped_column(String(20))
    cause_id: Mapped[str | None] = mapped_column(String(60), default=None, unique=True)

    lines: Mapped[list[InvoiceLine]] = relationship(order_by="InvoiceLine.line_no", lazy="selectin")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[str | None] = mapped_column(String(40), default=None)  # None: shipping
    sku: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(300))
    first_unit: Mapped[int] = mapped_column(Integer, default=0)  # which of the line's units (0-based)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger)
    tax_rate: Mapped[str] = mapped_column(String(12))  # a decimal percent as text (SQLite has no exact NUMERIC)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # unit cost × quantity, for COGS


class CreditNote(_DocumentColumns, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("series_key", "seq", name="uq_credit_notes_series_seq"),
        Index("ix_credit_notes_order", "order_id", "id"),
        Index("ix_credit_notes_issued_at", "issued_at"),
    )

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    refers_to: Mapped[str | None] = mapped_column(String(60), default=None)  # the invoice's number
    # The refund it documents: one credit note per refund (refund_order's idempotency key).
    refund_key: Mapped[str] = mapped_column(String(255), unique=True)
    shipping_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    restocking_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(String(20), default="manual")  # manual | return | cancel
    cause_id: Mapped[str | None] = mapped_column(String(60), default=None)

    lines: Mapped[list[CreditNoteLine]] = relationship(order_by="CreditNoteLine.line_no", lazy="selectin")


class CreditNoteLine(Base):
    __tablename__ = "credit_note_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    credit_note_id: Mapped[str] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[str | None] = mapped_column(String(40), default=None)
    sku: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger)  # the restocking fee kept from these units
    tax_rate: Mapped[str] = mapped_column(String(12))
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
