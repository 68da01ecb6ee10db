"""Invoices and credit notes as plain documents (rendering to PDF is `billing.documents`).

An invoice covers units of an order — the units captured or shipped, per the channel's policy —
priced from the order's allocation, so invoices for successive shipments add up exactly to the
order. A credit note is built from a refund (`returns.refunds.RefundBreakdown`): every refund gets
one, naming the invoice it corrects. Tax is grouped per rate; totals are in the order's currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from conveyor.billing.financials import OrderMoney, allocate
from conveyor.billing.numbering import DocumentKind
from conveyor.billing.tax import TaxLine, tax_per_rate
from conveyor.shared.refunds import RefundedLine


class Refund(Protocol):
    """A refund, as `returns.refunds.RefundBreakdown` has it."""

    @property
    def lines(self) -> Sequence[RefundedLine]: ...
    @property
    def shipping(self) -> int: ...
    @property
    def shipping_tax(self) -> int: ...


class InvoiceTrigger(StrEnum):
    AT_CAPTURE = "at_capture"
    AT_SHIPMENT = "at_shipment"


def invoice_due(trigger: InvoiceTrigger, event: str) -> bool:
    """Whether `event` ("capture" or "shipment") issues an invoice under the channel's policy."""
    return (trigger is InvoiceTrigger.AT_CAPTURE and event == "capture") or (
        trigger is InvoiceTrigger.AT_SHIPMENT and event == "shipment"
    )


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    address_lines: tuple[str, ...] = ()
    tax_id: str | None = None  # VAT number, EIN …


@dataclass(frozen=True, slots=True)
class DocumentLine:
    description: str
    quantity: int
    unit_price: int  # as charged per unit (tax included when the order's prices include tax)
    discount: int  # the units' share of line and order discounts
    tax_rate: Decimal
    tax: int
    total: int  # what the units cost, tax included

    @property
    def net(self) -> int:
        return self.total - self.tax


@dataclass(frozen=True, slots=True)
class BillingDocument:
    kind: DocumentKind
    number: str
    issued_at: datetime
    language: str  # en, de, fr, es
    currency: str
    seller: Party
    buyer: Party
    order_reference: str
    lines: tuple[DocumentLine, ...]
    refers_to: str | None = None  # a credit note's invoice number
    note: str = ""

    @property
    def tax_lines(self) -> list[TaxLine]:
        return tax_per_rate(TaxLine(line.tax_rate, line.net, line.tax) for line in self.lines)

    @property
    def net_total(self) -> int:
        return sum(line.net for line in self.lines)

    @property
    def tax_total(self) -> int:
        return sum(line.tax for line in self.lines)

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


@dataclass(frozen=True, slots=True)
class Header:
    """What every document needs besides its lines."""

    number: str
    issued_at: datetime
    language: str
    seller: Party
    buyer: Party
    order_reference: str


def _document(
    kind: DocumentKind, header: Header, currency: str, lines: list[DocumentLine], **extra: str
) -> BillingDocument:
    return BillingDocument(
        kind,
        header.number,
        header.issued_at,
        header.language,
        currency,
        header.seller,
        header.buyer,
        header.order_reference,
        tuple(lines),
        **extra,
    )


def build_invoice(
    header: Header,
    order: OrderMoney,
    units: Mapping[str, tuple[int, int]],
    descriptions: Mapping[str, str],
    *,
    include_shipping: bool,
    shipping_label: str = "Shipping",
) -> BillingDocument:
    """An invoice for `units`: line id → (first unit, count), e.g. the units shipping now
    (first = units shipped before). Shipping goes on the invoice that `include_shipping` says."""
    allocation = allocate(order)
    lines = []
    for line_id, (start, count) in units.items():
        amounts = allocation.lines[line_id]
        line = amounts.line
        discount = amounts.discount.for_units(start, count)
        tax, total = amounts.tax_of(start, count), amounts.total(start, count)
        description = descriptions.get(line_id, line.sku)
        lines.append(DocumentLine(description, count, line.unit_price, discount, line.tax_rate, tax, total))
    shipping = allocation.shipping_total
    if include_shipping and shipping:
        rate, tax = order.shipping_tax_rate, allocation.shipping_tax
        lines.append(DocumentLine(shipping_label, 1, shipping, 0, rate, tax, shipping))
    return _document(DocumentKind.INVOICE, header, order.currency, lines)


def build_credit_note(
    header: Header,
    order: OrderMoney,
    refund: Refund,
    invoice_number: str,
    descriptions: Mapping[str, str],
    *,
    shipping_label: str = "Shipping",
    note: str = "",
) -> BillingDocument:
    """The credit note for a refund: what is given back per line (after any restocking fee, shown as
    the line's deduction), its tax at the line's rate, and shipping when it was refunded."""
    rates = {line.line_id: line.tax_rate for line in order.lines}
    lines: list[DocumentLine] = []
    for item in refund.lines:
        unit = item.goods // item.quantity if item.quantity else 0
        rate, description = rates.get(item.line_id, Decimal(0)), descriptions.get(item.line_id, item.sku)
        lines.append(DocumentLine(description, item.quantity, unit, item.fee, rate, item.tax_refunded, item.amount))
    if refund.shipping:
        rate, shipping = order.shipping_tax_rate, refund.shipping
        lines.append(DocumentLine(shipping_label, 1, shipping, 0, rate, refund.shipping_tax, shipping))
    return _document(DocumentKind.CREDIT_NOTE, header, order.currency, lines, refers_to=invoice_number, note=note)


def invoice_units_for_shipment(order: OrderMoney, shipping_now: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    """The (first unit, count) per line for units shipping now: they follow the units shipped before."""
    shipped_before = {line.line_id: line.shipped for line in order.lines}
    return {line_id: (shipped_before[line_id], count) for line_id, count in shipping_now.items() if count}


def whole_order_units(order: OrderMoney) -> dict[str, tuple[int, int]]:
    """Every unit not cancelled (for one invoice per order, e.g. charged at placement)."""
    return {line.line_id: (0, line.quantity - line.cancelled) for line in order.lines if line.quantity > line.cancelled}


def documents_total(documents: Sequence[BillingDocument]) -> int:
    """Invoices minus credit notes."""
    return sum(d.total if d.kind is DocumentKind.INVOICE else -d.total for d in documents)
