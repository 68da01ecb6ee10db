"""The order risk score: each signal, its reason, and the cap."""

from __future__ import annotations

import pytest

from conveyor.automation.risk import RiskInput, RiskPolicy, assess, is_disposable
from conveyor.shared.money import Money


def _order(**changes) -> RiskInput:
    base = {"billing_country": "DE", "shipping_country": "DE", "total": Money(8_000, "EUR"), "is_first_order": False,
            "email": "anna@example.de", "recent_orders_to_address": 1}
    return RiskInput(**(base | changes))


def _codes(order: RiskInput, policy: RiskPolicy | None = None) -> list[str]:
    return [reason.code for reason in (assess(order, policy) if policy else assess(order)).reasons]


def test_an_ordinary_order_scores_zero():
    assert assess(_order()).score == 0 and assess(_order()).reasons == ()


def test_billing_shipping_country_mismatch():
    result = assess(_order(billing_country="de", shipping_country="NG"))
    assert result.score == 30 and result.reasons[0].detail == "billed to DE, shipped to NG"


@pytest.mark.parametrize(("first", "minor", "currency", "fires"), [
    (True, 50_000, "EUR", True), (True, 49_999, "EUR", False), (False, 90_000, "EUR", False),
    (True, 45_000, "GBP", True), (True, 9_999_999, "XAF", False),  # no threshold for XAF
])
def test_first_order_above_threshold(first, minor, currency, fires):
    assert ("first_order_high_value" in _codes(_order(is_first_order=first, total=Money(minor, currency)))) is fires


def test_many_recent_orders_to_one_address():
    assert _codes(_order(recent_orders_to_address=3)) == []
    assert _codes(_order(recent_orders_to_address=4)) == ["many_orders_to_address"]
    assert _codes(_order(recent_orders_to_address=2), RiskPolicy(repeat_address_limit=1)) == ["many_orders_to_address"]


@pytest.mark.parametrize(("email", "disposable"), [
    ("x@mailinator.com", True), ("x@Guerrillamail.com", True), ("x@inbox.mailinator.com", True),
    ("x@yopmail.com", True), ("x@gmail.com", False), ("x@example.de", False), ("x@com", False),
])
def test_disposable_domains_from_the_bundled_list(email, disposable):
    assert is_disposable(email) is disposable
    assert ("disposable_email" in _codes(_order(email=email))) is disposable


def test_merchants_can_add_their_own_throwaway_domains():
    policy = RiskPolicy(extra_disposable_domains=frozenset({"Burner.example"}))
    assert _codes(_order(email="x@burner.example"), policy) == ["disposable_email"]


def test_signals_add_up_and_the_score_is_capped():
    risky = _order(billing_country="US", is_first_order=True, total=Money(90_000, "EUR"),
                   email="a@mailinator.com", recent_orders_to_address=9)
    result = assess(risky)
    assert [r.code for r in result.reasons] == ["billing_shipping_mismatch", "first_order_high_value",
                                                "many_orders_to_address", "disposable_email"]
    assert result.score == 100  # 30 + 25 + 30 + 35 = 120, capped
    assert assess(_order(billing_country="US", email="a@mailinator.com")).score == 65
