"""A channel's money terms, read from its `config["payments"]` (pure: no database).

    {"payments": {"capture": "authorize_then_capture_at_shipment" | "charge_at_placement",
                  "invoice_at": "at_shipment" | "at_capture",
                  "renew_authorization_before_hours": 24,
                  "on_expiring_authorization": "reauthorize" | "flag"}}

Everything is optional; the defaults are docs/money.md's. How long an unpaid order waits before it is
cancelled is one setting for all channels (CONVEYOR_UNPAID_CANCEL_HOURS, the worker's job).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from conveyor.billing.invoices import InvoiceTrigger
from conveyor.payments.policy import CaptureMode, ExpiringAuthorization, PaymentPolicy
from conveyor.shared.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class MoneyTerms:
    policy: PaymentPolicy = field(default_factory=PaymentPolicy)
    invoice_at: InvoiceTrigger = InvoiceTrigger.AT_SHIPMENT


def _choice(raw: Mapping[str, Any], name: str, kind: Any, default: Any) -> Any:
    value = raw.get(name)
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValidationFailed(f"config.payments.{name} must be one of {allowed}", field=name) from None


def _hours(raw: Mapping[str, Any], name: str, default: timedelta) -> timedelta:
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValidationFailed(f"config.payments.{name} must be a number of hours, 0 or more", field=name)
    return timedelta(hours=value)


def money_terms(config: Mapping[str, Any]) -> MoneyTerms:
    raw = config.get("payments") or {}
    if not isinstance(raw, Mapping):
        raise ValidationFailed("config.payments must be an object")
    base = PaymentPolicy()
    policy = PaymentPolicy(
        capture_mode=_choice(raw, "capture", CaptureMode, base.capture_mode),
        renew_authorization_before=_hours(raw, "renew_authorization_before_hours", base.renew_authorization_before),
        on_expiring_authorization=_choice(raw, "on_expiring_authorization", ExpiringAuthorization,
                                          base.on_expiring_authorization))
    return MoneyTerms(policy, _choice(raw, "invoice_at", InvoiceTrigger, InvoiceTrigger.AT_SHIPMENT))
