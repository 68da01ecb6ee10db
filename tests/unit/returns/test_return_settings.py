"""A channel's return settings from its configuration: defaults, every key read, bad values named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conveyor.returns.policy import ReturnPolicy, ShippingRefund, WindowStart
from conveyor.returns.settings import settings_from_config
from conveyor.shared.errors import ValidationFailed


def test_no_settings_means_the_default_policy():
    settings = settings_from_config({})
    assert settings.policy == ReturnPolicy() and settings.final_sale_skus == frozenset()
    assert settings.ship_back_days == 14


def test_every_key_is_read():
    settings = settings_from_config({"returns": {
        "window_days": 14, "window_starts": "shipment", "non_returnable_skus": ["GIFT"], "final_sale_skus": ["SALE"],
        "kit_parts_returnable": True, "restocking_fee_fixed_minor": 250, "restocking_fee_percent": "12.5",
        "refund_shipping": "when_all_returned", "refund_damaged": False, "ship_back_days": 7}})
    p = settings.policy
    assert (p.window_days, p.window_starts, p.non_returnable_skus, p.kit_parts_returnable) == (
        14, WindowStart.SHIPMENT, frozenset({"GIFT"}), True)
    assert (p.restocking_fee_fixed, p.restocking_fee_percent, p.refund_shipping, p.refund_damaged) == (
        250, Decimal("12.5"), ShippingRefund.WHEN_ALL_RETURNED, False)
    assert (settings.final_sale_skus, settings.ship_back_days) == (frozenset({"SALE"}), 7)


@pytest.mark.parametrize("key, value", [
    ("window_days", -1), ("window_days", "30"), ("window_days", True), ("window_starts", "purchase"),
    ("non_returnable_skus", "GIFT"), ("restocking_fee_percent", "abc"), ("restocking_fee_percent", "101"),
    ("refund_shipping", "always"), ("refund_damaged", "no"), ("ship_back_days", 0),
])
def test_a_bad_value_is_refused_naming_its_key(key, value):
    with pytest.raises(ValidationFailed) as refused:
        settings_from_config({"returns": {key: value}})
    assert refused.value.extra["setting"] == f"returns.{key}"
