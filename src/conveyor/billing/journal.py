"""The accounting export's records, read from the documents Conveyor issued (`billing.export` turns
them into the balanced journal, CSV and IIF).

* A sale per invoice issued that day: goods before discounts, discounts, tax, shipping net of tax,
  through the clearing account of the provider that took the money.
* A refund per credit note: goods given back net of tax, the tax given back, shipping, and the
  restocking fee kept (booked as income; the tax on a kept fee stays payable, because the credit
  note's tax is already the tax given back).
* Cost of goods per invoiced line, from the unit costs the caller knows (the purchasing area's
  supplier prices, in the journal's currency); SKUs without a cost are left out and listed.

The day is the issue date where the seller is (`SellerProfile.timezone`), like the numbers' year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from conveyor.billing import profile as profiles
from conveyor.billing.export import Accounts, CostRecord, Journal, RefundRecord, SaleRecord, daily_journal
from conveyor.billing.model import CreditNote, Invoice
from conveyor.billing.service import SHIPPING
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class DayJournal:
    journal: Journal
    missing_costs: tuple[str, ...]  # SKUs invoiced that day without a unit cost


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The day from midnight to midnight where the seller is, in UTC."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def sale_record(invoice: Invoice, day: date) -> SaleRecord:
    goods = discount = tax = shipping = 0
    for line in invoice.lines:
        if line.sku == SHIPPING:  # charged with its tax
            shipping += line.total_minor - line.tax_minor
        else:
            goods += line.unit_price_minor * line.quantity
            discount += line.discount_minor
        tax += line.tax_minor
    return SaleRecord(day, invoice.number, invoice.currency, goods, discount, tax, shipping, invoice.provider)


def refund_record(note: CreditNote, day: date) -> RefundRecord:
    goods = tax = shipping = fee = 0
    for line in note.lines:
        if line.sku == SHIPPING:
            shipping += line.total_minor - line.tax_minor
        else:
            goods += line.total_minor - line.tax_minor + line.discount_minor
            fee += line.discount_minor
        tax += line.tax_minor
    return RefundRecord(day, note.number, note.currency, goods, tax, shipping, fee, note.provider)


def journal_for(uow: UnitOfWork, day: date, currency: str,
                unit_costs: Callable[[set[str]], Mapping[str, int]] | None = None,
                accounts: Accounts | None = None) -> DayJournal:
    """The day's journal in `currency`; `unit_costs` gives the cost of the SKUs it is asked about."""
    start, end = day_bounds(day, profiles.current().timezone)
    invoices = list(uow.session.scalars(select(Invoice).where(
        Invoice.issued_at >= start, Invoice.issued_at < end, Invoice.currency == currency).order_by(Invoice.seq)))
    notes = list(uow.session.scalars(select(CreditNote).where(
        CreditNote.issued_at >= start, CreditNote.issued_at < end, CreditNote.currency == currency)
        .order_by(CreditNote.seq)))
    skus = {line.sku for invoice in invoices for line in invoice.lines if line.order_line_id}
    known = unit_costs(skus) if unit_costs and skus else {}
    costs, missing = [], set()
    for invoice in invoices:
        for line in invoice.lines:
            if line.order_line_id is None:  # shipping
                continue
            cost = known.get(line.sku)
            if cost is None:
                missing.add(line.sku)
            else:
                costs.append(CostRecord(day, invoice.number, currency, line.sku, line.quantity, cost))
    journal = daily_journal(day, currency, sales=[sale_record(i, day) for i in invoices],
                            refunds=[refund_record(n, day) for n in notes], costs=costs, accounts=accounts)
    return DayJournal(journal, tuple(sorted(missing)))
