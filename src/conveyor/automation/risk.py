"""A simple, explainable order risk score (0-100) that rules can use (`risk_score` field).

Each signal adds points; the score is their sum, capped at 100, and every signal that fired is
returned as a reason so staff can see why an order was held:
- billing_shipping_mismatch: billing and shipping countries differ;
- first_order_high_value: the customer's first order is at or above a per-currency threshold;
- many_orders_to_address: more than N recent orders were shipped to the same address (the
  count over the merchant's window, e.g. 24 h, is passed in: counting needs the database);
- disposable_email: the e-mail domain (or a parent domain) is on the bundled list of throwaway
  mail providers (the `disposable-email-domains` package, offline) or the merchant's own list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from disposable_email_domains import blocklist as _BUNDLED_DISPOSABLE

from conveyor.shared.money import Money, format_minor

MAX_SCORE = 100


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    mismatch_points: int = 30
    first_order_points: int = 25
    # Minor units per currency; a first order in a currency not listed here is not judged by value.
    first_order_thresholds: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(
        {"EUR": 50_000, "USD": 50_000, "GBP": 40_000, "CHF": 50_000, "CAD": 70_000, "AUD": 75_000, "JPY": 70_000}))
    repeat_address_points: int = 30
    repeat_address_limit: int = 3  # more orders than this to one address within the window is a signal
    disposable_points: int = 35
    extra_disposable_domains: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RiskInput:
    billing_country: str
    shipping_country: str
    total: Money
    is_first_order: bool
    email: str  # the customer's address (or just its domain)
    recent_orders_to_address: int = 0  # orders to this shipping address in the window, this one included


@dataclass(frozen=True, slots=True)
class RiskReason:
    code: str
    points: int
    detail: str


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    score: int
    reasons: tuple[RiskReason, ...]


DEFAULT_POLICY = RiskPolicy()


def assess(order: RiskInput, policy: RiskPolicy = DEFAULT_POLICY) -> RiskAssessment:
    reasons = [reason for reason in (
        _mismatch(order, policy), _first_order(order, policy), _repeat_address(order, policy),
        _disposable(order, policy),
    ) if reason is not None]
    return RiskAssessment(min(MAX_SCORE, sum(r.points for r in reasons)), tuple(reasons))


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().rstrip(".").lower()


def is_disposable(domain: str, extra: frozenset[str] = frozenset()) -> bool:
    """True for a listed domain and for its subdomains (`x.mailinator.com`)."""
    labels = email_domain(domain).split(".")
    candidates = {".".join(labels[i:]) for i in range(len(labels) - 1)}
    return any(c in _BUNDLED_DISPOSABLE or c in extra for c in candidates)


def _mismatch(order: RiskInput, policy: RiskPolicy) -> RiskReason | None:
    billing, shipping = order.billing_country.upper(), order.shipping_country.upper()
    if billing and shipping and billing != shipping:
        return RiskReason("billing_shipping_mismatch", policy.mismatch_points,
                          f"billed to {billing}, shipped to {shipping}")
    return None


def _first_order(order: RiskInput, policy: RiskPolicy) -> RiskReason | None:
    threshold = policy.first_order_thresholds.get(order.total.currency)
    if not order.is_first_order or threshold is None or order.total.minor < threshold:
        return None
    limit = format_minor(threshold, order.total.currency)
    return RiskReason("first_order_high_value", policy.first_order_points,
                      f"first order of {order.total}, threshold {limit} {order.total.currency}")


def _repeat_address(order: RiskInput, policy: RiskPolicy) -> RiskReason | None:
    if order.recent_orders_to_address <= policy.repeat_address_limit:
        return None
    return RiskReason("many_orders_to_address", policy.repeat_address_points,
                      f"{order.recent_orders_to_address} recent orders to this address "
                      f"(more than {policy.repeat_address_limit})")


def _disposable(order: RiskInput, policy: RiskPolicy) -> RiskReason | None:
    domain = email_domain(order.email)
    extra = frozenset(d.lower() for d in policy.extra_disposable_domains)
    if domain and is_disposable(domain, extra):
        return RiskReason("disposable_email", policy.disposable_points, f"{domain} is a throwaway mail provider")
    return None
