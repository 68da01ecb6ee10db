"""A channel's return settings, read from its configuration document (key `returns`).

    {"returns": {"window_days": 30, "window_starts": "delivery", "non_returnable_skus": ["GIFT-CARD"],
                 "final_sale_skus": ["CLEARANCE-1"], "kit_parts_returnable": false,
                 "restocking_fee_fixed_minor": 0, "restocking_fee_percent": "15",
                 "refund_shipping": "never", "refund_damaged": true, "ship_back_days": 14}}

Every key is optional (the defaults are `ReturnPolicy`'s). A bad value is refused with the key's
name, so a typo in the channel's settings cannot silently make everything returnable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from conveyor.returns.policy import ReturnPolicy, ShippingRefund, WindowStart
from conveyor.shared.errors import ValidationFailed

DEFAULT_SHIP_BACK_DAYS = 14


@dataclass(frozen=True, slots=True)
class ReturnSettings:
    policy: ReturnPolicy
    final_sale_skus: frozenset[str] = frozenset()
    ship_back_days: int = DEFAULT_SHIP_BACK_DAYS  # the parcel should reach us within this after approval


def _bad(key: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"channel return settings: {key} {why}", setting=f"returns.{key}")


def _whole(doc: Mapping[str, Any], key: str, default: int, low: int = 0, high: int = 3650) -> int:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(key, f"must be a whole number from {low} to {high}")
    return value


def _codes(doc: Mapping[str, Any], key: str) -> frozenset[str]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise _bad(key, "must be a list of SKU codes")
    return frozenset(value)


def _choice(doc: Mapping[str, Any], key: str, kind: type[WindowStart] | type[ShippingRefund], default: str) -> Any:
    try:
        return kind(doc.get(key, default))
    except ValueError:
        raise _bad(key, "must be one of " + ", ".join(k.value for k in kind)) from None


def _percent(doc: Mapping[str, Any]) -> Decimal:
    try:
        value = Decimal(str(doc.get("restocking_fee_percent", "0")))
    except InvalidOperation:
        raise _bad("restocking_fee_percent", "must be a number") from None
    if not Decimal(0) <= value <= Decimal(100):
        raise _bad("restocking_fee_percent", "must be between 0 and 100")
    return value


def _flag(doc: Mapping[str, Any], key: str, default: bool) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        raise _bad(key, "must be true or false")
    return value


def settings_from_config(config: Mapping[str, Any]) -> ReturnSettings:
    """The channel's return settings from its configuration document."""
    doc = config.get("returns") or {}
    if not isinstance(doc, Mapping):
        raise _bad("", "must be an object")
    policy = ReturnPolicy(
        window_days=_whole(doc, "window_days", 30),
        window_starts=_choice(doc, "window_starts", WindowStart, WindowStart.DELIVERY),
        non_returnable_skus=_codes(doc, "non_returnable_skus"),
        kit_parts_returnable=_flag(doc, "kit_parts_returnable", False),
        restocking_fee_fixed=_whole(doc, "restocking_fee_fixed_minor", 0, high=10**12),
        restocking_fee_percent=_percent(doc),
        refund_shipping=_choice(doc, "refund_shipping", ShippingRefund, ShippingRefund.NEVER),
        refund_damaged=_flag(doc, "refund_damaged", True),
    )
    return ReturnSettings(policy, _codes(doc, "final_sale_skus"), _whole(doc, "ship_back_days", 14, 1, 365))
