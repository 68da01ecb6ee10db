"""The accounting export, parsed back: every CSV and IIF transaction balances, and the totals per
account match the records. Plus the payout reconciliation per provider."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from conveyor.billing.export import (
    Accounts,
    CostRecord,
    FeeRecord,
    JournalEntry,
    JournalLine,
    PayoutMovement,
    RefundRecord,
    SaleRecord,
    daily_journal,
    journal_csv,
    journal_iif,
    reconcile_payouts,
    reconciliation_csv,
)
from conveyor.shared.errors import DomainError, ErrorCode

DAY = date(2026, 11, 30)
SALES = [
    SaleRecord(DAY, "INV-2026-000001", "USD", goods=10_000, discount=1_000, tax=720, shipping=500, provider="stripe"),
    SaleRecord(DAY, "INV-2026-000002", "USD", goods=2_599, discount=0, tax=214, shipping=0, provider="manual"),
    SaleRecord(date(2026, 11, 29), "INV-2026-000000", "USD", 1, 0, 0, 0, "stripe"),  # another day: left out
]
REFUNDS = [
    RefundRecord(
        DAY, "CN-2026-000001", "USD", goods=3_000, tax=240, shipping=500, restocking_fee=450, provider="stripe"
    )
]
COSTS = [CostRecord(DAY, "shp_1", "USD", "SHIRT", 3, 1_234), CostRecord(DAY, "rma_1", "USD", "SHIRT", -1, 1_234)]
FEES = [FeeRecord(DAY, "txn_1", "USD", "stripe", 329)]


def journal(accounts=None):
    return daily_journal(
        DAY, "USD", sales=SALES, refunds=REFUNDS, costs=COSTS, fees=FEES, accounts=accounts or Accounts()
    )


def parse_csv(text):
    entries = {}
    for row in csv.DictReader(io.StringIO(text)):
        debit = Decimal(row["debit"] or 0)
        credit = Decimal(row["credit"] or 0)
        entries.setdefault(row["entry"], []).append((row["account"], debit - credit))
    return entries


def parse_iif(text):
    """A reader for Intuit's IIF: header rows declare each record type's columns."""
    headers, transactions, current = {}, [], None
    assert "\r\n" in text
    for raw in text.split("\r\n"):
        if not raw:
            continue
        cells = raw.split("\t")
        kind = cells[0]
        if kind.startswith("!"):
            headers[kind[1:]] = cells[1:]
            continue
        record = dict(zip(headers[kind], cells[1:], strict=True))
        if kind == "TRNS":
            assert current is None, "TRNS inside an open transaction"
            current = [record]
        elif kind == "SPL":
            current.append(record)
        elif kind == "ENDTRNS":
            transactions.append(current)
            current = None
    assert current is None, "a transaction was not closed"
    return headers, transactions


def by_account(pairs):
    totals = {}
    for account, amount in pairs:
        totals[account] = totals.get(account, 0) + amount
    return totals


EXPECTED = {
    "Stripe Clearing": Decimal("102.20") - Decimal("32.90") - Decimal("3.29"),
    "Undeposited Funds": Decimal("28.13"),
    "Sales Discounts": Decimal("10.00"),
    "Sales": Decimal("-125.99"),
    "Shipping Income": Decimal("-5.00") + Decimal("5.00"),
    "Sales Tax Payable": Decimal("-9.34") + Decimal("2.40"),
    "Sales Returns and Allowances": Decimal("30.00"),
    "Restocking Fee Income": Decimal("-4.50"),
    "Cost of Goods Sold": Decimal("24.68"),
    "Inventory Asset": Decimal("-24.68"),
    "Payment Processing Fees": Decimal("3.29"),
}


def test_csv_parses_back_balanced_with_totals_per_account():
    entries = parse_csv(journal_csv(journal()))
    assert len(entries) == 6  # two sales, a refund, two costs, a fee; the other day's sale is not here
    for lines in entries.values():
        assert sum(amount for _, amount in lines) == 0
    totals = by_account(pair for lines in entries.values() for pair in lines)
    assert {k: v for k, v in totals.items() if v} == {k: v for k, v in EXPECTED.items() if v}


def test_iif_parses_back_balanced_with_totals_per_account():
    headers, transactions = parse_iif(journal_iif(journal()))
    assert headers["TRNS"][:5] == ["TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT"]
    assert len(transactions) == 6
    pairs = []
    for transaction in transactions:
        assert {row["TRNSTYPE"] for row in transaction} == {"GENERAL JOURNAL"}
        assert {row["DATE"] for row in transaction} == {"11/30/2026"}
        assert sum(Decimal(row["AMOUNT"]) for row in transaction) == 0
        pairs += [(row["ACCNT"], Decimal(row["AMOUNT"])) for row in transaction]
    totals = by_account(pairs)
    assert {k: v for k, v in totals.items() if v} == {k: v for k, v in EXPECTED.items() if v}


def test_iif_declares_the_accounts_with_quickbooks_types():
    text = journal_iif(journal())
    parse_iif(text)
    accounts = dict(line.split("\t")[1:3] for line in text.split("\r\n") if line.startswith("ACCNT\t"))
    assert accounts["Sales"] == "INC" and accounts["Sales Tax Payable"] == "OCLIAB"
    assert accounts["Cost of Goods Sold"] == "COGS" and accounts["Stripe Clearing"] == "OCASSET"
    assert "!ACCNT" not in journal_iif(journal(), include_accounts=False)


def test_account_names_are_configurable_and_memo_tabs_cannot_break_rows():
    custom = Accounts(sales="4000 Webshop Sales", clearing={"stripe": "1210 Stripe"}, default_clearing="1200 Bank")
    records = [SaleRecord(DAY, "INV\t7\nX", "USD", 1_000, 0, 0, 0, "stripe")]
    text = journal_iif(daily_journal(DAY, "USD", sales=records, accounts=custom), custom)
    _, transactions = parse_iif(text)
    assert [(r["ACCNT"], r["AMOUNT"], r["DOCNUM"]) for r in transactions[0]] == [
        ("1210 Stripe", "10.00", "INV 7 X"),
        ("4000 Webshop Sales", "-10.00", "INV 7 X"),
    ]


def test_amounts_use_the_currencys_minor_units():
    records = [SaleRecord(DAY, "INV-1", "JPY", 1_500, 0, 150, 0, "stripe")]
    _, transactions = parse_iif(journal_iif(daily_journal(DAY, "JPY", sales=records)))
    assert [row["AMOUNT"] for row in transactions[0]] == ["1650", "-1500", "-150"]


def test_a_record_in_another_currency_is_refused():
    with pytest.raises(DomainError) as refused:
        daily_journal(DAY, "EUR", sales=SALES)
    assert refused.value.code is ErrorCode.CURRENCY_MISMATCH


def test_an_unbalanced_entry_cannot_be_built():
    with pytest.raises(DomainError) as refused:
        JournalEntry(DAY, "X", "", (JournalLine("A", debit=100), JournalLine("B", credit=99)))
    assert refused.value.code is ErrorCode.UNBALANCED_TRANSACTION


def test_payout_reconciliation_per_provider():
    movements = [
        PayoutMovement("stripe", "USD", "capture", 10_220),
        PayoutMovement("stripe", "USD", "refund", 3_290),
        PayoutMovement("stripe", "USD", "fee", 329),
        PayoutMovement("stripe", "USD", "payout", 6_601),
        PayoutMovement("stripe", "EUR", "capture", 5_000),
        PayoutMovement("stripe", "EUR", "payout", 4_800),
        PayoutMovement("manual", "USD", "capture", 2_813),
    ]
    rows = {(r.provider, r.currency): r for r in reconcile_payouts(movements)}
    usd = rows[("stripe", "USD")]
    assert usd.expected == 10_220 - 3_290 - 329 == 6_601 and usd.difference == 0
    assert rows[("stripe", "EUR")].difference == -200  # 2.00 EUR missing from the payout
    parsed = list(csv.DictReader(io.StringIO(reconciliation_csv(list(rows.values())))))
    assert {(r["provider"], r["currency"], r["expected"], r["difference"]) for r in parsed} == {
        ("stripe", "USD", "66.01", "0.00"),
        ("stripe", "EUR", "50.00", "-2.00"),
        ("manual", "USD", "28.13", "-28.13"),
    }
