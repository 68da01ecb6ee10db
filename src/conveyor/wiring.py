"""Cross-area reactions a unit of work runs before it commits (shared/uow.py "Reactions").

The container installs them when it is built, so every process — API, worker, CLI, tests — keeps
the same bookkeeping whichever handler made the change.
"""

from __future__ import annotations

from typing import Any


def install(settings: Any = None) -> None:
    from conveyor.fulfillment.service import follow_allocations
    from conveyor.inventory.ledger import STOCK_LEVELS_CHANGED
    from conveyor.orders.service import ALLOCATIONS_CHANGED, MONEY_CHANGED, PAYMENT_DUE
    from conveyor.purchasing import low_stock
    from conveyor.shared.uow import react_to

    # Fulfilment orders follow an order's allocation rows (docs/decisions.md 25).
    react_to(ALLOCATIONS_CHANGED, follow_allocations)
    # One `stock.low` per crossing below a threshold, whichever command moved the stock (33).
    react_to(STOCK_LEVELS_CHANGED, low_stock.watch)
    # Payments and invoices follow shipments and cancellations; placement takes the payment (28).
    react_to(PAYMENT_DUE, take_payments)
    react_to(MONEY_CHANGED, follow_money)
    if settings is not None:
        configure_money(settings)


def configure_money(settings: Any) -> None:
    """Who issues invoices, and Stripe when it has a key."""
    from conveyor.billing import profile
    from conveyor.payments import gateways
    from conveyor.payments.providers.stripe import StripeGateway

    profile.use(profile.SellerProfile.from_settings(settings))
    if settings.stripe_api_key:
        stripe = StripeGateway(settings.stripe_api_key)  # one HTTP client for the process
        gateways.register("stripe", lambda store, clock: stripe)


def _terms(uow: Any, order_id: str) -> Any:
    from conveyor.channels.service import channel_info_by_id
    from conveyor.orders.service import get_order
    from conveyor.payments.terms import money_terms

    return money_terms(channel_info_by_id(uow, get_order(uow, order_id).channel_id).config)


def take_payments(uow: Any, changes: dict[str, dict[str, Any]]) -> None:
    from conveyor.payments.flows import take_payment_at_placement

    for order_id, detail in changes.items():
        take_payment_at_placement(uow, order_id, detail, _terms(uow, order_id))


def follow_money(uow: Any, changes: dict[str, dict[str, Any]]) -> None:
    from conveyor.payments.flows import follow_money as follow

    for order_id, detail in changes.items():
        follow(uow, order_id, detail, _terms(uow, order_id))
