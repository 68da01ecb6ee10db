#!/usr/bin/env python
"""Money: CPU cost of invoice PDFs and of the pure money rules (financial view, return refunds).

Measures process CPU time (time.process_time), so other load on the machine matters less than it
would for wall-clock time; prints one line per measurement. No database.

    .venv/bin/python benchmarks/money_documents.py [--invoices 200]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from decimal import Decimal

from conveyor.billing.documents import render_pdf
from conveyor.billing.financials import OrderLine, OrderMoney, financial_view
from conveyor.billing.invoices import Header, Party, build_invoice, whole_order_units
from conveyor.returns.policy import ReturnPolicy
from conveyor.returns.refunds import ReturningUnits, refund_for_return


def order(lines: int) -> OrderMoney:
    return OrderMoney(
        "EUR",
        tuple(
            OrderLine(
                f"l{i}",
                f"SKU-{i:04d}",
                1 + i % 4,
                1_999 + i,
                line_discount=i % 7 * 10,
                line_tax=380 + i,
                tax_rate=Decimal(19 if i % 3 else 7),
                shipped=1 + i % 4,
            )
            for i in range(lines)
        ),
        order_discount=500,
        shipping=590,
        shipping_tax=112,
        shipping_tax_rate=Decimal(19),
    )


def cpu_per_call(label: str, count: int, call) -> None:
    started = time.process_time()
    for _ in range(count):
        call()
    spent = time.process_time() - started
    print(f"{label}: {count} in {spent:.2f} s CPU = {spent / count * 1000:.2f} ms each", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=200)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"load average before: {load:.2f} on {os.cpu_count()} cores", flush=True)
    header = Header(
        "INV-2026-000001",
        datetime(2026, 11, 30, tzinfo=UTC),
        "de",
        Party("Conveyor Demo GmbH", ("Hauptstraße 1", "10115 Berlin"), "DE123456789"),
        Party("Élodie Müller", ("12 rue de la Paix", "75002 Paris"), "FR40303265045"),
        "ord_1",
    )
    small, large = order(10), order(90)
    small_invoice = build_invoice(header, small, whole_order_units(small), {}, include_shipping=True)
    large_invoice = build_invoice(header, large, whole_order_units(large), {}, include_shipping=True)
    cpu_per_call("invoice PDF, 10 lines (1 page)", args.invoices, lambda: render_pdf(small_invoice))
    cpu_per_call("invoice PDF, 90 lines (3 pages)", max(args.invoices // 4, 1), lambda: render_pdf(large_invoice))
    cpu_per_call("financial view, 90 lines", 2_000, lambda: financial_view(large, captured=100_000))
    units = [ReturningUnits(f"l{i}", 1) for i in range(0, 90, 3)]
    policy = ReturnPolicy(restocking_fee_percent=Decimal(10))
    cpu_per_call(
        "return refund, 30 of 90 lines", 2_000, lambda: refund_for_return(large, units, policy, refundable=10**9)
    )


if __name__ == "__main__":
    main()
