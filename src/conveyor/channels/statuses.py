"""Platform order statuses → what they mean to Conveyor: the payment state and, for deliveries
whose topic only says "something changed", which lifecycle event the status amounts to.

These tables are the rule; `docs/channels.md` ("Platform status → Conveyor state") mirrors them
and a unit test keeps the two in step. Pure data: no database, no web.

Sources (the platforms' own status lists):
- Shopify `financial_status` — Order resource, shopify.dev/docs/api/admin-rest/latest/resources/order
  (pending, authorized, partially_paid, paid, partially_refunded, refunded, voided, expired).
- WooCommerce `status` — REST API v3 order properties,
  woocommerce.github.io/woocommerce-rest-api-docs/#order-properties (pending, processing, on-hold,
  completed, cancelled, refunded, failed, trash; plus checkout-draft from block checkout).
- BigCommerce `status_id` 0–14 — GET /v2/order_statuses,
  developer.bigcommerce.com/docs/rest-management/orders/order-status.
- Amazon `OrderStatus` — SP-API Orders v0 getOrders,
  developer-docs.amazon.com/sp-api/reference/getorders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PaymentState(StrEnum):
    PAID = "paid"
    PENDING = "pending"  # the platform has not confirmed payment yet (Shopify pending, Amazon Pending)
    AUTHORIZED = "authorized"  # authorised, not captured
    AWAITING_PAYMENT = "awaiting_payment"  # the buyer still has to pay (bank transfer, failed card, ...)
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    VOIDED = "voided"  # nothing will be collected (voided or expired authorisation, declined)
    UNKNOWN = "unknown"  # the delivery says nothing about payment: never overwrite a known state with it


# Money is in hand: these may be allocated and released to the warehouse.
SHIPPABLE_PAYMENT = frozenset({PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED})
# Accepted but held until the channel reports payment ("awaiting_payment" hold).
AWAITING_PAYMENT = frozenset({PaymentState.PENDING, PaymentState.AUTHORIZED, PaymentState.AWAITING_PAYMENT})


class StatusMeaning(StrEnum):
    """What a status amounts to when a delivery's topic is only "updated"."""

    OPEN = "open"  # nothing beyond an update
    CANCELLED = "cancelled"
    FULFILLED = "fulfilled"
    REFUNDED = "refunded"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class StatusRule:
    label: str  # the platform's own wording, for tables and hold reasons
    payment: PaymentState
    meaning: StatusMeaning = StatusMeaning.OPEN


P, M = PaymentState, StatusMeaning

SHOPIFY_FINANCIAL = {
    "pending": StatusRule("Pending", P.PENDING),
    "authorized": StatusRule("Authorized", P.AUTHORIZED),
    "partially_paid": StatusRule("Partially paid", P.AWAITING_PAYMENT),
    "paid": StatusRule("Paid", P.PAID),
    "partially_refunded": StatusRule("Partially refunded", P.PARTIALLY_REFUNDED),
    "refunded": StatusRule("Refunded", P.REFUNDED),
    "voided": StatusRule("Voided", P.VOIDED),
    "expired": StatusRule("Expired (authorisation lapsed)", P.VOIDED),
}

WOOCOMMERCE_STATUS = {
    "pending": StatusRule("Pending payment", P.AWAITING_PAYMENT),
    "on-hold": StatusRule("On hold (awaiting payment confirmation)", P.AWAITING_PAYMENT),
    "failed": StatusRule("Failed (payment failed; the buyer may retry)", P.AWAITING_PAYMENT),
    "checkout-draft": StatusRule("Draft (block checkout not finished)", P.AWAITING_PAYMENT),
    "processing": StatusRule("Processing (paid)", P.PAID),
    "completed": StatusRule("Completed", P.PAID, M.FULFILLED),
    "cancelled": StatusRule("Cancelled", P.UNKNOWN, M.CANCELLED),
    "refunded": StatusRule("Refunded", P.REFUNDED, M.REFUNDED),
    "trash": StatusRule("Trash", P.UNKNOWN, M.DELETED),
}

BIGCOMMERCE_STATUS = {
    0: StatusRule("Incomplete", P.AWAITING_PAYMENT),
    1: StatusRule("Pending", P.PENDING),
    2: StatusRule("Shipped", P.PAID, M.FULFILLED),
    3: StatusRule("Partially Shipped", P.PAID),
    4: StatusRule("Refunded", P.REFUNDED, M.REFUNDED),
    5: StatusRule("Cancelled", P.UNKNOWN, M.CANCELLED),
    6: StatusRule("Declined", P.VOIDED, M.CANCELLED),
    7: StatusRule("Awaiting Payment", P.AWAITING_PAYMENT),
    8: StatusRule("Awaiting Pickup", P.PAID),
    9: StatusRule("Awaiting Shipment", P.PAID),
    10: StatusRule("Completed", P.PAID, M.FULFILLED),
    11: StatusRule("Awaiting Fulfillment", P.PAID),
    12: StatusRule("Manual Verification Required", P.PENDING),
    13: StatusRule("Disputed", P.PAID),
    14: StatusRule("Partially Refunded", P.PARTIALLY_REFUNDED),
}

AMAZON_STATUS = {
    "PendingAvailability": StatusRule("PendingAvailability (pre-order, not yet authorised)", P.PENDING),
    "Pending": StatusRule("Pending (payment not yet authorised)", P.PENDING),
    "Unshipped": StatusRule("Unshipped", P.PAID),
    "PartiallyShipped": StatusRule("PartiallyShipped", P.PAID),
    "Shipped": StatusRule("Shipped", P.PAID, M.FULFILLED),
    "InvoiceUnconfirmed": StatusRule("InvoiceUnconfirmed (shipped)", P.PAID, M.FULFILLED),
    "Canceled": StatusRule("Canceled", P.UNKNOWN, M.CANCELLED),
    "Unfulfillable": StatusRule("Unfulfillable (Amazon-fulfilled orders only)", P.UNKNOWN),
}

UNKNOWN_STATUS = StatusRule("unknown", P.UNKNOWN)


def shopify_rule(financial_status: object) -> StatusRule:
    return SHOPIFY_FINANCIAL.get(str(financial_status or "").lower(), UNKNOWN_STATUS)


def woocommerce_rule(status: object) -> StatusRule:
    return WOOCOMMERCE_STATUS.get(str(status or "").lower().removeprefix("wc-"), UNKNOWN_STATUS)


def bigcommerce_rule(status_id: object) -> StatusRule:
    try:
        return BIGCOMMERCE_STATUS.get(int(str(status_id)), UNKNOWN_STATUS)
    except ValueError:
        return UNKNOWN_STATUS


def amazon_rule(order_status: object) -> StatusRule:
    return AMAZON_STATUS.get(str(order_status or ""), UNKNOWN_STATUS)


def payment_hold_reason(payment: PaymentState, platform_status: str) -> str | None:
    """The hold an order gets while the channel has not been paid, or None when it may ship.

    `unknown` never holds: channels that say nothing about payment (CSV, the native API) keep
    today's behaviour."""
    if payment in AWAITING_PAYMENT:
        return f"awaiting_payment: {platform_status}"
    if payment in (PaymentState.VOIDED, PaymentState.REFUNDED):
        return f"payment_{payment.value}: {platform_status}"
    return None
