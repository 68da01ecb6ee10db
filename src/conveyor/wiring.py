"""Cross-area reactions a unit of work runs before it commits (shared/uow.py "Reactions").

The container installs them when it is built, so every process — API, worker, CLI, tests — keeps
the same bookkeeping whichever handler made the change.
"""

from __future__ import annotations


def install() -> None:
    from conveyor.fulfillment.service import follow_allocations
    from conveyor.inventory.ledger import STOCK_LEVELS_CHANGED
    from conveyor.orders.service import ALLOCATIONS_CHANGED
    from conveyor.purchasing import low_stock
    from conveyor.shared.uow import react_to

    # Fulfilment orders follow an order's allocation rows (docs/decisions.md 25).
    react_to(ALLOCATIONS_CHANGED, follow_allocations)
    # One `stock.low` per crossing below a threshold, whichever command moved the stock (33).
    react_to(STOCK_LEVELS_CHANGED, low_stock.watch)
