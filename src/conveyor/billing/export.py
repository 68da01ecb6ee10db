"""Accounting export: a day's journal as CSV and as QuickBooks Desktop IIF, and payout reconciliation.

Each sale, refund, cost and fee record becomes one balanced journal entry (debits = credits, in
minor units; an unbalanced entry is refused before anything is written):

  sale     Dr clearing (per provider) total, Dr discounts   |  Cr sales, Cr shipping income, Cr tax payable
  refund   Dr sales returns, Dr tax payable, Dr shipping income  |  Cr clearing, Cr restocking fee income
  cost     Dr cost of goods sold  |  Cr inventory   (a negative quantity — a unit restocked — reverses it)
  fee      Dr processing fees  |  Cr clearing

Amounts are net of tax. Account names are configurable (`Accounts`) and must match the chart of
accounts in the books. IIF follows Intuit's documented import format (support article HOW12778,
"IIF file headers"): tab-separated, header rows `!TRNS`, `!SPL`, `!ENDTRNS`, then per transaction a
TRNS row, SPL rows and ENDTRNS; dates MM/DD/YYYY; debits positive and credits negative; each
transaction sums to zero. QuickBooks Desktop books in one home currency: export one journal per
currency.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain

from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import format_minor


@dataclass(frozen=True, slots=True)
class Accounts:
    sales: str = "Sales"
    discounts: str = "Sales Discounts"
    tax: str = "Sales Tax Payable"
    shipping: str = "Shipping Income"
    returns: str = "Sales Returns and Allowances"
    restocking: str = "Restocking Fee Income"
    cogs: str = "Cost of Goods Sold"
    inventory: str = "Inventory Asset"
    fees: str = "Payment Processing Fees"
    clearing: Mapping[str, str] = field(default_factory=lambda: {"stripe": "Stripe Clearing"})
    default_clearing: str = "Undeposited Funds"

    def clearing_for(self, provider: str) -> str:
        return self.clearing.get(provider, self.default_clearing)


# QuickBooks account types (!ACCNT ACCNTTYPE) for the accounts above.
_ACCOUNT_TYPES = {
    "sales": "INC",
    "discounts": "INC",
    "tax": "OCLIAB",
    "shipping": "INC",
    "returns": "INC",
    "restocking": "INC",
    "cogs": "COGS",
    "inventory": "OCASSET",
    "fees": "EXP",
}


@dataclass(frozen=True, slots=True)
class SaleRecord:
    day: date
    reference: str  # the invoice number
    currency: str
    goods: int  # before discounts, net of tax
    discount: int
    tax: int
    shipping: int  # net of tax
    provider: str  # which clearing account receives the money

    @property
    def total(self) -> int:
        return self.goods - self.discount + self.tax + self.shipping


@dataclass(frozen=True, slots=True)
class RefundRecord:
    day: date
    reference: str  # the credit note number
    currency: str
    goods: int  # net of tax, before the restocking fee
    tax: int
    shipping: int
    restocking_fee: int  # kept back, net of tax
    provider: str

    @property
    def total(self) -> int:
        return self.goods + self.tax + self.shipping - self.restocking_fee


@dataclass(frozen=True, slots=True)
class CostRecord:
    day: date
    reference: str  # the shipment or return
    currency: str
    sku: str
    quantity: int  # negative when units come back to stock
    unit_cost: int


@dataclass(frozen=True, slots=True)
class FeeRecord:
    day: date
    reference: str
    currency: str
    provider: str
    amount: int


Record = SaleRecord | RefundRecord | CostRecord | FeeRecord


@dataclass(frozen=True, slots=True)
class JournalLine:
    account: str
    debit: int = 0
    credit: int = 0


@dataclass(frozen=True, slots=True)
class JournalEntry:
    day: date
    reference: str
    memo: str
    lines: tuple[JournalLine, ...]

    def __post_init__(self) -> None:
        debits, credits = sum(x.debit for x in self.lines), sum(x.credit for x in self.lines)
        if debits != credits:
            raise DomainError(
                ErrorCode.UNBALANCED_TRANSACTION,
                f"{self.reference}: debits {debits} ≠ credits {credits}",
                reference=self.reference,
            )


@dataclass(frozen=True, slots=True)
class Journal:
    day: date
    currency: str
    entries: tuple[JournalEntry, ...]


def _entry(day: date, reference: str, memo: str, *lines: JournalLine) -> JournalEntry:
    """An entry without its zero lines; a negative side moves to the other column."""
    kept = []
    for line in lines:
        net = line.debit - line.credit
        if net:
            kept.append(JournalLine(line.account, max(net, 0), max(-net, 0)))
    return JournalEntry(day, reference, memo, tuple(kept))


def _sale(record: SaleRecord, accounts: Accounts) -> JournalEntry:
    return _entry(
        record.day,
        record.reference,
        f"Sale {record.reference}",
        JournalLine(accounts.clearing_for(record.provider), debit=record.total),
        JournalLine(accounts.discounts, debit=record.discount),
        JournalLine(accounts.sales, credit=record.goods),
        JournalLine(accounts.shipping, credit=record.shipping),
        JournalLine(accounts.tax, credit=record.tax),
    )


def _refund(record: RefundRecord, accounts: Accounts) -> JournalEntry:
    return _entry(
        record.day,
        record.reference,
        f"Refund {record.reference}",
        JournalLine(accounts.returns, debit=record.goods),
        JournalLine(accounts.tax, debit=record.tax),
        JournalLine(accounts.shipping, debit=record.shipping),
        JournalLine(accounts.restocking, credit=record.restocking_fee),
        JournalLine(accounts.clearing_for(record.provider), credit=record.total),
    )


def _cost(record: CostRecord, accounts: Accounts) -> JournalEntry:
    cost = record.quantity * record.unit_cost
    memo = f"Cost of {record.quantity} × {record.sku}"
    return _entry(
        record.day,
        record.reference,
        memo,
        JournalLine(accounts.cogs, debit=cost),
        JournalLine(accounts.inventory, credit=cost),
    )


def _fee(record: FeeRecord, accounts: Accounts) -> JournalEntry:
    return _entry(
        record.day,
        record.reference,
        f"{record.provider} fee",
        JournalLine(accounts.fees, debit=record.amount),
        JournalLine(accounts.clearing_for(record.provider), credit=record.amount),
    )


def daily_journal(
    day: date,
    currency: str,
    *,
    sales: Iterable[SaleRecord] = (),
    refunds: Iterable[RefundRecord] = (),
    costs: Iterable[CostRecord] = (),
    fees: Iterable[FeeRecord] = (),
    accounts: Accounts | None = None,
) -> Journal:
    """The day's journal in one currency. Records of other days are left out; a record in another
    currency is refused (export each currency separately)."""
    accounts = accounts or Accounts()
    entries: list[JournalEntry] = []
    records: Iterable[Record] = chain(sales, refunds, costs, fees)
    for record in records:
        if record.day != day:
            continue
        if record.currency != currency:
            raise DomainError(
                ErrorCode.CURRENCY_MISMATCH,
                f"{record.reference} is in {record.currency}, the journal in {currency}",
                reference=record.reference,
            )
        entry = _journal_entry(record, accounts)
        if entry.lines:
            entries.append(entry)
    return Journal(day, currency, tuple(entries))


def _journal_entry(record: Record, accounts: Accounts) -> JournalEntry:
    if isinstance(record, SaleRecord):
        return _sale(record, accounts)
    if isinstance(record, RefundRecord):
        return _refund(record, accounts)
    if isinstance(record, CostRecord):
        return _cost(record, accounts)
    return _fee(record, accounts)


CSV_COLUMNS = ("date", "entry", "reference", "account", "debit", "credit", "currency", "memo")


def journal_csv(journal: Journal) -> str:
    """One row per journal line; amounts as decimal strings, the empty side blank."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for number, entry in enumerate(journal.entries, start=1):
        for line in entry.lines:
            writer.writerow(
                [
                    entry.day.isoformat(),
                    number,
                    entry.reference,
                    line.account,
                    format_minor(line.debit, journal.currency) if line.debit else "",
                    format_minor(line.credit, journal.currency) if line.credit else "",
                    journal.currency,
                    entry.memo,
                ]
            )
    return out.getvalue()


IIF_FIELDS = ("TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO")


def _iif_text(value: str) -> str:
    # A tab or line break inside a field would split the row; quotes confuse QuickBooks' reader.
    return " ".join(value.replace('"', "'").split())


def journal_iif(journal: Journal, accounts: Accounts | None = None, *, include_accounts: bool = True) -> str:
    """The journal as an IIF import file: optionally the accounts it uses (!ACCNT), then one
    GENERAL JOURNAL transaction per entry."""
    rows: list[Sequence[str]] = []
    if include_accounts:
        rows.append(("!ACCNT", "NAME", "ACCNTTYPE"))
        rows += [("ACCNT", _iif_text(name), kind) for name, kind in _account_types(journal, accounts or Accounts())]
    rows += [("!TRNS", *IIF_FIELDS), ("!SPL", *IIF_FIELDS), ("!ENDTRNS",)]
    when = journal.day.strftime("%m/%d/%Y")
    for entry in journal.entries:
        for index, line in enumerate(entry.lines):
            amount = format_minor(line.debit - line.credit, journal.currency)
            rows.append(
                (
                    "TRNS" if index == 0 else "SPL",
                    "GENERAL JOURNAL",
                    when,
                    _iif_text(line.account),
                    "",
                    amount,
                    _iif_text(entry.reference),
                    _iif_text(entry.memo),
                )
            )
        rows.append(("ENDTRNS",))
    return "".join("\t".join(row) + "\r\n" for row in rows)


def _account_types(journal: Journal, accounts: Accounts) -> list[tuple[str, str]]:
    types = {getattr(accounts, key): kind for key, kind in _ACCOUNT_TYPES.items()}
    used = dict.fromkeys(line.account for entry in journal.entries for line in entry.lines)
    return [(name, types.get(name, "OCASSET")) for name in used]  # clearing accounts are current assets


@dataclass(frozen=True, slots=True)
class PayoutMovement:
    """One movement in a provider's balance, as its reports list them."""

    provider: str
    currency: str
    kind: str  # "capture", "refund", "fee" or "payout"
    amount: int  # positive
    reference: str = ""


@dataclass(frozen=True, slots=True)
class PayoutReconciliation:
    provider: str
    currency: str
    captured: int
    refunded: int
    fees: int
    paid_out: int

    @property
    def expected(self) -> int:
        return self.captured - self.refunded - self.fees

    @property
    def difference(self) -> int:
        """Paid out minus expected: zero when the provider's payouts match our records."""
        return self.paid_out - self.expected


def reconcile_payouts(movements: Iterable[PayoutMovement]) -> list[PayoutReconciliation]:
    """Per provider and currency: captured − refunded − fees, against what was paid out."""
    sums: dict[tuple[str, str], dict[str, int]] = {}
    for move in movements:
        if move.kind not in ("capture", "refund", "fee", "payout"):
            raise DomainError(ErrorCode.VALIDATION_ERROR, f"unknown payout movement {move.kind!r}")
        bucket = sums.setdefault((move.provider, move.currency), {"capture": 0, "refund": 0, "fee": 0, "payout": 0})
        bucket[move.kind] += move.amount
    return [
        PayoutReconciliation(provider, currency, s["capture"], s["refund"], s["fee"], s["payout"])
        for (provider, currency), s in sorted(sums.items())
    ]


def reconciliation_csv(rows: Sequence[PayoutReconciliation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("provider", "currency", "captured", "refunded", "fees", "expected", "paid_out", "difference"))
    for row in rows:
        amounts = (row.captured, row.refunded, row.fees, row.expected, row.paid_out, row.difference)
        writer.writerow((row.provider, row.currency, *(format_minor(a, row.currency) for a in amounts)))
    return out.getvalue()
