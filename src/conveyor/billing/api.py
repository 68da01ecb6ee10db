"""Billing endpoints: invoices and credit notes (and their PDFs), the daily accounting journal (CSV,
QuickBooks IIF, JSON) and the payout reconciliation per provider."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select

from conveyor.api.deps import container, require
from conveyor.api.schemas import Timestamp
from conveyor.auth.roles import Role
from conveyor.auth.service import Principal
from conveyor.billing import journal as journals
from conveyor.billing import profile as profiles
from conveyor.billing import service as billing
from conveyor.billing.documents import render_pdf
from conveyor.billing.export import PayoutMovement, journal_csv, journal_iif, reconcile_payouts, reconciliation_csv
from conveyor.billing.model import CreditNote, Invoice
from conveyor.bootstrap import Container
from conveyor.catalog.service import sku_facts
from conveyor.orders import service as orders
from conveyor.payments.views import payout_movements
from conveyor.purchasing.suppliers import terms_by_sku
from conveyor.shared.clock import as_utc
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.ids import new_id
from conveyor.shared.money import check_currency, format_minor, to_minor
from conveyor.shared.pagination import paginate
from conveyor.shared.uow import UnitOfWork

router = APIRouter(tags=["billing"])
READ, EXPORT = require("billing:read"), require("billing:export")
Responses = dict[int | str, dict[str, Any]]
STRING = {"schema": {"type": "string"}}
PDF: Responses = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
TEXT: Responses = {200: {"content": {"text/csv": STRING, "text/plain": STRING, "application/json": {}}}}
PAID_OUT = re.compile(r"^(?P<provider>[a-z_]{2,30}):(?P<currency>[A-Z]{3}):(?P<amount>\d{1,13}(\.\d{1,4})?)$")


def scope(who: Principal) -> str | None:
    return who.channel_id if who.role == Role.CHANNEL else None


def render_document(record: Invoice | CreditNote, with_lines: bool = True) -> dict[str, Any]:
    cur = record.currency
    body: dict[str, Any] = {
        "id": record.id, "kind": "invoice" if isinstance(record, Invoice) else "credit_note",
        "number": record.number, "order_id": record.order_id, "issued_at": as_utc(record.issued_at).isoformat(),
        "language": record.language, "currency": cur, "net": format_minor(record.net_minor, cur),
        "tax": format_minor(record.tax_minor, cur), "total": format_minor(record.total_minor, cur),
        "legal_entity": record.legal_entity, "seller": record.seller, "buyer": record.buyer,
        "pdf": f"/api/v1/{'invoices' if isinstance(record, Invoice) else 'credit-notes'}/{record.id}/pdf"}
    if isinstance(record, CreditNote):
        body.update({"refers_to": record.refers_to, "reason": record.reason, "cause": record.cause,
                     "restocking_fee": format_minor(record.restocking_fee_minor, cur)})
    else:
        body["cause"] = record.cause
    if with_lines:
        body["lines"] = [{"description": li.description, "sku": li.sku, "order_line_id": li.order_line_id,
                          "quantity": li.quantity, "unit_price": format_minor(li.unit_price_minor, cur),
                          "discount": format_minor(li.discount_minor, cur), "tax_rate": li.tax_rate,
                          "tax": format_minor(li.tax_minor, cur), "total": format_minor(li.total_minor, cur)}
                         for li in record.lines]
    return body


# --- documents ------------------------------------------------------------------------------------------

@router.get("/orders/{order_id}/invoices")
def order_invoices(order_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        orders.get_order(uow, order_id, scope(who))
        return {"items": [render_document(i) for i in billing.order_invoices(uow, order_id)]}


@router.get("/orders/{order_id}/credit-notes")
def order_credit_notes(order_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        orders.get_order(uow, order_id, scope(who))
        return {"items": [render_document(n) for n in billing.order_credit_notes(uow, order_id)]}


def _listing(uow: UnitOfWork, model: type[Invoice] | type[CreditNote], limit: int, cursor: str | None,
             issued_from: datetime | None, issued_to: datetime | None) -> dict:
    query = select(model)
    if issued_from:
        query = query.where(model.issued_at >= as_utc(issued_from))
    if issued_to:
        query = query.where(model.issued_at < as_utc(issued_to))
    page = paginate(uow.session, query, model.id, limit, cursor)
    return {"items": [render_document(r, with_lines=False) for r in page.items], "next_cursor": page.next_cursor}


Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/invoices")
def list_invoices(who: Principal = Depends(READ), c: Container = Depends(container), limit: Limit = 50,
                  cursor: str | None = None, issued_from: Timestamp | None = None,
                  issued_to: Timestamp | None = None) -> dict:
    """Invoices newest first, optionally issued in [issued_from, issued_to)."""
    with c.reader() as uow:
        return _listing(uow, Invoice, limit, cursor, issued_from, issued_to)


@router.get("/credit-notes")
def list_credit_notes(who: Principal = Depends(READ), c: Container = Depends(container), limit: Limit = 50,
                      cursor: str | None = None, issued_from: Timestamp | None = None,
                      issued_to: Timestamp | None = None) -> dict:
    with c.reader() as uow:
        return _listing(uow, CreditNote, limit, cursor, issued_from, issued_to)


def _scoped(uow: UnitOfWork, record: Invoice | CreditNote, who: Principal) -> Invoice | CreditNote:
    orders.get_order(uow, record.order_id, scope(who))  # 404 for another channel's document
    return record


@router.get("/invoices/{invoice_id}")
def get_invoice(invoice_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return render_document(_scoped(uow, billing.get_invoice(uow, invoice_id), who))


@router.get("/credit-notes/{credit_note_id}")
def get_credit_note(credit_note_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return render_document(_scoped(uow, billing.get_credit_note(uow, credit_note_id), who))


def _pdf(record: Invoice | CreditNote) -> Response:
    return Response(render_pdf(billing.document_of(record)), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{record.number}.pdf"'})


@router.get("/invoices/{invoice_id}/pdf", response_class=Response, responses=PDF)
def invoice_pdf(invoice_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> Response:
    """The invoice as a PDF in the order's language (the same document always gives the same bytes)."""
    with c.reader() as uow:
        return _pdf(_scoped(uow, billing.get_invoice(uow, invoice_id), who))


@router.get("/credit-notes/{credit_note_id}/pdf", response_class=Response, responses=PDF)
def credit_note_pdf(credit_note_id: str, who: Principal = Depends(READ),
                    c: Container = Depends(container)) -> Response:
    with c.reader() as uow:
        return _pdf(_scoped(uow, billing.get_credit_note(uow, credit_note_id), who))


# --- accounting -----------------------------------------------------------------------------------------

def unit_costs(uow: UnitOfWork, currency: str) -> Any:
    """Per SKU code: the preferred supplier's unit cost in `currency`, else the lowest one."""
    def costs(codes: set[str]) -> Mapping[str, int]:
        facts = sku_facts(uow, sorted(codes))
        by_id = {fact.id: code for code, fact in facts.items()}
        found: dict[str, tuple[bool, int]] = {}
        for sku_id, terms in terms_by_sku(uow, list(by_id)).items():
            for term in terms:
                if term.unit_cost.currency == currency:
                    key = (not term.preferred, term.unit_cost.minor)
                    found[by_id[sku_id]] = min(found.get(by_id[sku_id], key), key)
        return {code: cost for code, (_, cost) in found.items()}
    return costs


@router.get("/accounting/journal", response_model=None, responses=TEXT)
def accounting_journal(day: date, currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")],
                       format: Literal["csv", "iif", "json"] = "csv", who: Principal = Depends(EXPORT),
                       c: Container = Depends(container)) -> Response | dict:
    """The day's balanced journal (sales, tax, shipping, refunds, cost of goods) in one currency:
    CSV, QuickBooks Desktop IIF (import with File › Utilities › Import › IIF Files) or JSON."""
    check_currency(currency)
    with c.reader() as uow:
        result = journals.journal_for(uow, day, currency, unit_costs(uow, currency))
    journal = result.journal
    if format in ("csv", "iif"):
        text = journal_csv(journal) if format == "csv" else journal_iif(journal)
        filename = f"journal-{day}-{currency}.{format}"
        return PlainTextResponse(text, media_type="text/csv" if format == "csv" else "text/plain",
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return {"day": day.isoformat(), "currency": currency, "missing_costs": list(result.missing_costs),
            "entries": [{"reference": e.reference, "memo": e.memo,
                         "lines": [{"account": li.account, "debit": format_minor(li.debit, currency),
                                    "credit": format_minor(li.credit, currency)} for li in e.lines]}
                        for e in journal.entries]}


@router.get("/accounting/payouts", response_model=None, responses=TEXT)
def payout_reconciliation(start: date, end: date, paid_out: Annotated[list[str] | None, Query(
        description="What each provider actually paid out, e.g. `stripe:USD:1234.56` (repeatable)")] = None,
        format: Literal["csv", "json"] = "json", who: Principal = Depends(EXPORT),
        c: Container = Depends(container)) -> Response | dict:
    """Per provider and currency over [start, end): captured − refunded − fees = expected payout,
    against what was paid out; a difference other than zero needs looking into."""
    if end <= start:
        raise ValidationFailed("end must be after start")
    timezone = profiles.current().timezone
    since, _ = journals.day_bounds(start, timezone)
    until, _ = journals.day_bounds(end, timezone)
    with c.reader() as uow:
        movements = payout_movements(uow, since, until)
    movements += [_paid_out(entry) for entry in paid_out or ()]
    rows = reconcile_payouts(movements)
    if format == "csv":
        return PlainTextResponse(reconciliation_csv(rows), media_type="text/csv")
    return {"start": start.isoformat(), "end": end.isoformat(), "items": [
        {"provider": r.provider, "currency": r.currency, **{name: format_minor(getattr(r, name), r.currency) for name in
         ("captured", "refunded", "fees", "expected", "paid_out", "difference")}} for r in rows]}


def _paid_out(entry: str) -> PayoutMovement:
    match = PAID_OUT.match(entry)
    if match is None:
        raise ValidationFailed(f"paid_out {entry!r} must look like stripe:USD:1234.56", field="paid_out")
    currency = check_currency(match["currency"])
    return PayoutMovement(match["provider"], currency, "payout", to_minor(match["amount"], currency),
                          new_id("request"))
