"""Invoice numbers are gap-free and unique under 32 concurrent issuers (issue 12, must show 4), also
when some issuing transactions roll back after taking their number."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conveyor.billing import service as billing
from conveyor.billing.numbering import missing_numbers
from conveyor.orders import service as orders
from tests.integration.money.helpers import place_taxed_order

CLIENTS = 32


class Abandoned(Exception):
    """An issuer whose transaction fails after it took a number."""


def test_32_concurrent_issuers_get_gap_free_unique_numbers(container):
    order_ids = [place_taxed_order(container, seed=n == 0, external_id=f"inv-{n}", units=1) for n in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def issue(n: int) -> str:
        start.wait()
        try:
            with container.uow() as uow:
                order = orders.get_order(uow, order_ids[n], for_update=True)
                line = order.lines[0]
                invoice = billing.issue_invoice(uow, order, {line.id: (0, 1)}, include_shipping=True,
                                                cause="shipment", cause_id=f"race-{n}")
                assert invoice is not None
                if n % 8 == 7:
                    raise Abandoned(invoice.number)  # rolls back: its number must be given back
                uow.commit()
                return invoice.number
        except Abandoned:
            return "abandoned"

    with ThreadPoolExecutor(CLIENTS) as pool:
        numbers = list(pool.map(issue, range(CLIENTS)))

    issued = [n for n in numbers if n != "abandoned"]
    assert len(issued) == CLIENTS - CLIENTS // 8
    with container.reader() as uow:
        stored = [inv for order_id in order_ids for inv in billing.order_invoices(uow, order_id)]
    assert sorted(inv.number for inv in stored) == sorted(issued)
    assert len(set(issued)) == len(issued)
    seqs = sorted(inv.seq for inv in stored)
    assert seqs == list(range(1, len(issued) + 1)) and missing_numbers(seqs) == []
    assert all(inv.number == f"INV-{inv.issued_at.year}-{inv.seq:06d}" for inv in stored)
