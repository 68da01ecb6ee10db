"""What a channel's payment policy asks for at placement, at each shipment, after a gateway answer,
and as authorizations age.

  authorize_then_capture_at_shipment (default)  authorize the order total at placement; at each
      shipment capture exactly the amount of the shipped units; the last shipment releases the rest
  charge_at_placement  capture everything at placement; shipments move no money

A declined or failed payment puts the order on hold with reason `payment_failed`; an order still
on that hold after `cancel_unpaid_after` is cancelled. An authorization that expires within
`renew_authorization_before` is re-authorized (when the customer's payment method can be used
again) or flagged for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from conveyor.payments.gateway import GatewayResult, Operation, Outcome
from conveyor.payments.state import PaymentTotals
from conveyor.shared.money import Money

PAYMENT_FAILED_HOLD = "payment_failed"


class CaptureMode(StrEnum):
    AUTHORIZE_THEN_CAPTURE_AT_SHIPMENT = "authorize_then_capture_at_shipment"
    CHARGE_AT_PLACEMENT = "charge_at_placement"


class ExpiringAuthorization(StrEnum):
    REAUTHORIZE = "reauthorize"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class PaymentPolicy:
    capture_mode: CaptureMode = CaptureMode.AUTHORIZE_THEN_CAPTURE_AT_SHIPMENT
    cancel_unpaid_after: timedelta = timedelta(hours=72)
    renew_authorization_before: timedelta = timedelta(days=1)
    on_expiring_authorization: ExpiringAuthorization = ExpiringAuthorization.REAUTHORIZE


@dataclass(frozen=True, slots=True)
class PaymentStep:
    """One gateway call the policy asks for."""

    operation: Operation
    amount: Money
    final: bool = False
    reason: str = ""


def placement_step(policy: PaymentPolicy, order_total: Money) -> PaymentStep | None:
    if order_total.minor <= 0:
        return None  # nothing to pay (a free order, or fully paid by store credit)
    if policy.capture_mode is CaptureMode.CHARGE_AT_PLACEMENT:
        return PaymentStep(Operation.CHARGE, order_total, reason="the channel charges at placement")
    return PaymentStep(Operation.AUTHORIZE, order_total, reason="authorize now, capture at shipment")


@dataclass(frozen=True, slots=True)
class ShipmentCapture:
    """What to do when units ship. `shortfall` is what the shipment costs beyond what can still be
    captured (an expired or too small authorization): charge it another way, or flag it."""

    steps: tuple[PaymentStep, ...]
    shortfall: Money


def shipment_steps(
    policy: PaymentPolicy, totals: PaymentTotals, shipped_amount: Money, *, last_shipment: bool
) -> ShipmentCapture:
    """Capture exactly the shipped part (`shipped_amount`, from `billing.financials`); on the last
    shipment, release whatever stays held so the customer's card is freed."""
    nothing = Money(0, shipped_amount.currency)
    if policy.capture_mode is CaptureMode.CHARGE_AT_PLACEMENT:
        return ShipmentCapture((), nothing)
    amount = min(shipped_amount.minor, totals.capturable)
    shortfall = Money(shipped_amount.minor - amount, shipped_amount.currency)
    steps: list[PaymentStep] = []
    if amount > 0:
        steps.append(
            PaymentStep(
                Operation.CAPTURE,
                Money(amount, shipped_amount.currency),
                final=last_shipment,
                reason="capture the shipped units",
            )
        )
    elif last_shipment and totals.capturable > 0:
        steps.append(PaymentStep(Operation.VOID, nothing, reason="nothing more will ship: release the rest"))
    return ShipmentCapture(tuple(steps), shortfall)


class Reaction(StrEnum):
    PROCEED = "proceed"
    HOLD = "hold"  # put the order on hold `payment_failed`
    RETRY_SAME_KEY = "retry_same_key"  # outcome unknown: ask again with the same idempotency key
    RETRY_NEW_KEY = "retry_new_key"  # nothing happened and trying again may help: a new attempt
    AWAIT = "await"  # the provider will tell us later (webhook or polling)


@dataclass(frozen=True, slots=True)
class PaymentReaction:
    reaction: Reaction
    hold_reason: str | None
    detail: str


def react_to(result: GatewayResult) -> PaymentReaction:
    """What the order should do after a gateway answer."""
    if result.outcome is Outcome.SUCCEEDED:
        return PaymentReaction(Reaction.PROCEED, None, result.message)
    if result.outcome is Outcome.TIMEOUT:
        return PaymentReaction(Reaction.RETRY_SAME_KEY, None, result.message)
    if result.outcome is Outcome.PENDING:
        return PaymentReaction(Reaction.AWAIT, None, result.message)
    if result.outcome is Outcome.FAILED and result.retryable:
        return PaymentReaction(Reaction.RETRY_NEW_KEY, None, result.message)
    code = f" ({result.error_code})" if result.error_code else ""
    what = "declined" if result.outcome is Outcome.DECLINED else "failed"
    return PaymentReaction(Reaction.HOLD, PAYMENT_FAILED_HOLD, f"payment {what}{code}: {result.message}")


def auto_cancel_at(held_since: datetime, policy: PaymentPolicy) -> datetime:
    """When an order on hold `payment_failed` since `held_since` is cancelled if still unpaid."""
    return held_since + policy.cancel_unpaid_after


def should_auto_cancel(held_since: datetime, now: datetime, policy: PaymentPolicy) -> bool:
    return now >= auto_cancel_at(held_since, policy)


class AuthorizationAction(StrEnum):
    NONE = "none"
    REAUTHORIZE = "reauthorize"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class AuthorizationCheck:
    action: AuthorizationAction
    amount: Money  # what still needs to stay authorized
    detail: str


def check_authorization(
    totals: PaymentTotals, now: datetime, policy: PaymentPolicy, *, can_reauthorize: bool
) -> AuthorizationCheck:
    """Whether an authorization is about to expire (or has) while money is still to be captured.

    To re-authorize: authorize `amount` as a new payment with the saved payment method, and void the
    old one once the new one succeeded. Without a reusable method, or when the policy says so, flag it."""
    expires = totals.authorization_expires_at
    outstanding = totals.authorized - totals.captured - totals.released
    amount = Money(max(outstanding, 0), totals.currency)
    if outstanding <= 0 or expires is None or now < expires - policy.renew_authorization_before:
        return AuthorizationCheck(AuthorizationAction.NONE, amount, "nothing expires soon")
    when = "expired" if now >= expires else "expires"
    detail = f"the authorization of {amount} {when} at {expires:%Y-%m-%d %H:%M} UTC"
    if can_reauthorize and policy.on_expiring_authorization is ExpiringAuthorization.REAUTHORIZE:
        return AuthorizationCheck(AuthorizationAction.REAUTHORIZE, amount, detail + ": authorize it again")
    reason = "no reusable payment method" if not can_reauthorize else "the channel flags expiring authorizations"
    return AuthorizationCheck(AuthorizationAction.FLAG, amount, f"{detail}; {reason}: ask the customer to pay again")
