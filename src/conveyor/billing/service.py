"""Issuing invoices and credit notes: numbers, amounts from the order's allocation, stored lines.

Numbers: `next_number` increments the series counter row with one guarded UPDATE … RETURNING in
the issuing transaction. On PostgreSQL that UPDATE holds the row's lock until the transaction ends,
so concurrent issuers queue on it and each sees the previous one's number; a transaction that rolls
back gives its number back with everything else. SQLite serialises writers anyway. So a series has
no gaps and no duplicates (tests/integration/money/test_invoice_numbers.py hammers it).

Operations never commit; payments and the handlers call them inside their own transactions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select, update

from conveyor.billing import profile as profiles
from conveyor.billing.allocation import split_by_weight
from conveyor.billing.documents import LANGUAGES
from conveyor.billing.financials import OrderMoney, allocate
from conveyor.billing.invoices import BillingDocument, DocumentLine, Header, Party, build_invoice
from conveyor.billing.model import CreditNote, CreditNoteLine, DocumentSeries, Invoice, InvoiceLine
from conveyor.billing.numbering import DocumentKind, series_key
from conveyor.billing.order_money import descriptions, order_money
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import NotFound
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class IssuedNumber:
    number: str
    series_key: str
    seq: int
    legal_entity: str


def next_number(uow: UnitOfWork, kind: DocumentKind, issued_at: datetime,
                seller: profiles.SellerProfile | None = None) -> IssuedNumber:
    """The next number of the series `issued_at` falls in, taken in this transaction."""
    seller = seller or profiles.current()
    series = seller.series(kind)
    key = series_key(kind, seller.legal_entity, issued_at, seller.timezone, series)
    table = table_of(DocumentSeries)
    insert_ignoring_conflicts(uow.session, table, [{"key": key.key, "last_seq": 0, "updated_at": utcnow()}], ["key"])
    seq = uow.session.execute(
        update(table).where(table.c.key == key.key)
        .values(last_seq=table.c.last_seq + 1, updated_at=utcnow()).returning(table.c.last_seq)).scalar_one()
    number = series.format(seq, year=key.year or issued_at.year, entity=seller.legal_entity)
    return IssuedNumber(number, key.key, seq, seller.legal_entity)


SHIPPING = "shipping"  # the `sku` of a document's shipping line
SHIPPING_LABEL = {"en": "Shipping", "de": "Versand", "fr": "Livraison", "es": "Envío"}
REFUND_LABEL = {"en": "Refund", "de": "Erstattung", "fr": "Remboursement", "es": "Reembolso"}


def language_of(order: Any) -> str:
    language = (order.locale or "en").split("-")[0].lower()
    return language if language in LANGUAGES else "en"


def buyer_of(order: Any) -> Party:
    address = order.billing_address or order.shipping_address or {}
    lines = [address.get(k, "") for k in ("company", "line1", "line2")]
    city = " ".join(p for p in (address.get("postal_code", ""), address.get("city", "")) if p)
    lines += [city, address.get("country", "")]
    name = order.customer_name or address.get("name", "") or order.customer_email
    return Party(name, tuple(p for p in lines if p), address.get("tax_id") or None)


def _header(number: IssuedNumber, issued_at: datetime, order: Any, seller: profiles.SellerProfile) -> Header:
    reference = order.order_number or order.external_id or order.id
    return Header(number.number, issued_at, language_of(order), seller.seller, buyer_of(order), reference)


# --- invoices -------------------------------------------------------------------------------------------

def issue_invoice(uow: UnitOfWork, order: Any, units: Mapping[str, tuple[int, int]], *, include_shipping: bool,
                  cause: str, cause_id: str | None, provider: str = "", now: datetime | None = None) -> Invoice | None:
    """An invoice for `units` of the order (line id → (first unit, count)); None when there is nothing
    to invoice, or when `cause_id` (a capture, a shipment) already has its invoice."""
    if cause_id is not None:
        existing = uow.session.scalar(select(Invoice).where(Invoice.cause_id == cause_id))
        if existing is not None:
            return existing
    units = {line_id: span for line_id, span in units.items() if span[1] > 0}
    money = order_money(order)
    if not units and not (include_shipping and money.shipping):
        return None
    issued_at = now or utcnow()
    seller = profiles.current()
    number = next_number(uow, DocumentKind.INVOICE, issued_at, seller)
    header = _header(number, issued_at, order, seller)
    document = build_invoice(header, money, units, descriptions(order), include_shipping=include_shipping,
                             shipping_label=SHIPPING_LABEL[header.language])
    invoice = Invoice(id=ids.new_id("invoice"), order_id=order.id, cause=cause, cause_id=cause_id, provider=provider,
                      **_document_fields(document, number, money))
    shipping_line = money.shipping if include_shipping else 0
    invoice.shipping_minor = allocate(money).shipping_total if include_shipping and shipping_line else 0
    invoice.shipping_tax_minor = money.shipping_tax if invoice.shipping_minor else 0
    skus = {line.line_id: line.sku for line in money.lines}
    line_ids = list(units)
    for n, line in enumerate(document.lines):
        line_id = line_ids[n] if n < len(line_ids) else None
        first = units[line_id][0] if line_id else 0
        invoice.lines.append(InvoiceLine(id=ids.new_id("invoice_line"), line_no=n + 1, order_line_id=line_id,
                                         sku=skus[line_id] if line_id else SHIPPING, first_unit=first, cost_minor=0,
                                         **_line_fields(line)))
    uow.session.add(invoice)
    uow.session.flush()
    return invoice


def _document_fields(document: BillingDocument, number: IssuedNumber, money: OrderMoney) -> dict[str, Any]:
    return {"number": number.number, "series_key": number.series_key, "seq": number.seq,
            "legal_entity": number.legal_entity, "issued_at": document.issued_at, "language": document.language,
            "currency": money.currency, "net_minor": document.net_total, "tax_minor": document.tax_total,
            "total_minor": document.total, "seller": profiles.party_json(document.seller),
            "buyer": profiles.party_json(document.buyer), "order_reference": document.order_reference}


def _line_fields(line: DocumentLine) -> dict[str, Any]:
    return {"description": line.description[:300], "quantity": line.quantity, "unit_price_minor": line.unit_price,
            "discount_minor": line.discount, "tax_rate": str(line.tax_rate), "tax_minor": line.tax,
            "total_minor": line.total}


def invoiced_units(uow: UnitOfWork, order_id: str) -> dict[str, int]:
    """Units of each line already on an invoice."""
    counts: dict[str, int] = {}
    for invoice in order_invoices(uow, order_id):
        for line in invoice.lines:
            if line.order_line_id:
                counts[line.order_line_id] = counts.get(line.order_line_id, 0) + line.quantity
    return counts


def shipping_invoiced(uow: UnitOfWork, order_id: str) -> bool:
    return any(invoice.shipping_minor for invoice in order_invoices(uow, order_id))


def credited_units(uow: UnitOfWork, order_id: str, cause: str) -> dict[str, int]:
    """Units of each line already on a credit note for `cause` (cancel, return)."""
    counts: dict[str, int] = {}
    for note in order_credit_notes(uow, order_id):
        for line in note.lines if note.cause == cause else ():
            if line.order_line_id:
                counts[line.order_line_id] = counts.get(line.order_line_id, 0) + line.quantity
    return counts


def shipping_credited(uow: UnitOfWork, order_id: str, cause: str) -> bool:
    return any(note.shipping_minor for note in order_credit_notes(uow, order_id) if note.cause == cause)


def order_invoices(uow: UnitOfWork, order_id: str) -> list[Invoice]:
    return list(uow.session.scalars(select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)))


def order_credit_notes(uow: UnitOfWork, order_id: str) -> list[CreditNote]:
    return list(uow.session.scalars(
        select(CreditNote).where(CreditNote.order_id == order_id).order_by(CreditNote.id)))


def get_invoice(uow: UnitOfWork, invoice_id: str) -> Invoice:
    invoice = uow.session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    return invoice


def get_credit_note(uow: UnitOfWork, credit_note_id: str) -> CreditNote:
    note = uow.session.get(CreditNote, credit_note_id)
    if note is None:
        raise NotFound("credit note", credit_note_id)
    return note


def credit_note_for(uow: UnitOfWork, refund_key: str) -> CreditNote | None:
    return uow.session.scalar(select(CreditNote).where(CreditNote.refund_key == refund_key))


# --- credit notes ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RefundedLine:
    """What a refund gave back for units of one line (`returns.refunds.RefundLine` has this shape)."""

    line_id: str
    sku: str
    quantity: int
    goods: int
    fee: int
    tax_refunded: int

    @property
    def amount(self) -> int:
        return self.goods - self.fee


@dataclass(frozen=True, slots=True)
class RefundFacts:
    refund_key: str
    amount: int
    reason: str
    cause: str
    cause_id: str | None
    provider: str
    lines: tuple[RefundedLine, ...] = ()


def issue_credit_note(uow: UnitOfWork, order: Any, refund: RefundFacts, now: datetime | None = None) -> CreditNote:
    """The credit note for a refund (one per refund: a second call returns the first)."""
    existing = credit_note_for(uow, refund.refund_key)
    if existing is not None:
        return existing
    money = order_money(order)
    issued_at = now or utcnow()
    seller = profiles.current()
    number = next_number(uow, DocumentKind.CREDIT_NOTE, issued_at, seller)
    invoices = order_invoices(uow, order.id)
    invoice = invoices[-1] if invoices else None
    header = _header(number, issued_at, order, seller)
    lines, shipping, shipping_tax = credit_lines(money, refund, descriptions(order), header.language)
    document = BillingDocument(DocumentKind.CREDIT_NOTE, number.number, issued_at, header.language, money.currency,
                               header.seller, header.buyer, header.order_reference, tuple(ln for ln, _ in lines),
                               refers_to=invoice.number if invoice else None, note=refund.reason)
    note = CreditNote(id=ids.new_id("credit_note"), order_id=order.id, invoice_id=invoice.id if invoice else None,
                      refers_to=document.refers_to, refund_key=refund.refund_key, shipping_minor=shipping,
                      shipping_tax_minor=shipping_tax, restocking_fee_minor=sum(ln.fee for ln in refund.lines),
                      restocked=False, reason=refund.reason, cause=refund.cause, cause_id=refund.cause_id,
                      provider=refund.provider, **_document_fields(document, number, money))
    for n, (line, (line_id, sku)) in enumerate(lines):
        note.lines.append(CreditNoteLine(id=ids.new_id("credit_note_line"), line_no=n + 1, order_line_id=line_id,
                                         sku=sku, note="", **_line_fields(line)))
    uow.session.add(note)
    uow.session.flush()
    return note


CreditLine = tuple[DocumentLine, tuple[str | None, str]]


def credit_lines(money: OrderMoney, refund: RefundFacts, names: Mapping[str, str],
                 language: str = "en") -> tuple[list[CreditLine], int, int]:
    """The credit note's lines for `refund.amount`, their shipping part and its tax.

    With lines (a return): each as given, and whatever the amount holds beyond them is shipping.
    When the amount is less than the lines (capped at what was captured), each line gives back its
    share. Without lines (an amount staff chose): the amount is spread over the order's tax rates
    by value, so the tax given back matches what was charged."""
    if not refund.lines:
        return _spread_over_rates(money, refund.amount, REFUND_LABEL[language]), 0, 0
    amounts = [line.amount for line in refund.lines]
    parts = amounts if refund.amount >= sum(amounts) else split_by_weight(refund.amount, amounts)
    rates = {line.line_id: line.tax_rate for line in money.lines}
    result: list[CreditLine] = []
    for line, part in zip(refund.lines, parts, strict=True):
        tax = line.tax_refunded if part == line.amount else _proportion(line.tax_refunded, part, line.amount)
        unit = line.goods // line.quantity if line.quantity else 0
        document_line = DocumentLine(names.get(line.line_id, line.sku), line.quantity, unit,
                                     line.fee + (line.amount - part), rates.get(line.line_id, Decimal(0)), tax, part)
        result.append((document_line, (line.line_id, line.sku)))
    shipping = max(refund.amount - sum(parts), 0)
    shipping_tax = 0
    if shipping:
        whole = allocate(money).shipping_total
        shipping_tax = _proportion(money.shipping_tax, min(shipping, whole), whole)
        result.append((DocumentLine(SHIPPING_LABEL[language], 1, shipping, 0, money.shipping_tax_rate, shipping_tax,
                                    shipping), (None, SHIPPING)))
    return result, shipping, shipping_tax


def _spread_over_rates(money: OrderMoney, amount: int, label: str) -> list[CreditLine]:
    allocation = allocate(money)
    groups: dict[Decimal, list[int]] = {}
    for amounts in allocation.lines.values():
        line = amounts.line
        gross, tax = amounts.total(0, line.quantity), amounts.tax_of(0, line.quantity)
        group = groups.setdefault(line.tax_rate, [0, 0])
        group[0], group[1] = group[0] + gross, group[1] + tax
    if allocation.shipping_total:
        group = groups.setdefault(money.shipping_tax_rate, [0, 0])
        group[0], group[1] = group[0] + allocation.shipping_total, group[1] + allocation.shipping_tax
    rates = sorted(groups)
    parts = split_by_weight(amount, [groups[rate][0] for rate in rates])
    return [(DocumentLine(f"{label} ({rate} %)" if len(rates) > 1 else label, 1, part, 0, rate,
                          _proportion(groups[rate][1], part, groups[rate][0]), part), (None, ""))
            for rate, part in zip(rates, parts, strict=True) if part]


def _proportion(amount: int, part: int, whole: int) -> int:
    if whole <= 0:
        return 0
    return int((Decimal(amount) * part / whole).quantize(Decimal(1), ROUND_HALF_EVEN))


def document_of(record: Invoice | CreditNote) -> BillingDocument:
    """A stored invoice or credit note as the PDF renderer takes it."""
    kind = DocumentKind.INVOICE if isinstance(record, Invoice) else DocumentKind.CREDIT_NOTE
    lines = tuple(DocumentLine(line.description, line.quantity, line.unit_price_minor, line.discount_minor,
                               Decimal(line.tax_rate), line.tax_minor, line.total_minor) for line in record.lines)
    refers_to = record.refers_to if isinstance(record, CreditNote) else None
    note = record.reason if isinstance(record, CreditNote) else ""
    return BillingDocument(kind, record.number, as_utc(record.issued_at), record.language, record.currency,
                           profiles.party_of(record.seller), profiles.party_of(record.buyer), record.order_reference,
                           lines, refers_to=refers_to, note=note)


def documents_total(records: Sequence[Invoice | CreditNote]) -> int:
    return sum(r.total_minor if isinstance(r, Invoice) else -r.total_minor for r in records)
