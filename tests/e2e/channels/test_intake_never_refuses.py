"""No validly signed delivery is answered 4xx/5xx: platforms retry a refused webhook and then
disable it (WooCommerce after more than 5 failures in a row), so a delivery Conveyor cannot use is
stored, flagged for a person and acknowledged. Property-style: the recorded payloads with their
topics and bodies mutated (and, for BigCommerce, the order its API returns), posted signed."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.channels.support import seed_channels

from .lifecycle_http import BC_ORDER, deliver, lifecycle, serve_bigcommerce_order

FIXTURES = {
    "shopify": ["shopify/order_sample.json", "shopify/order_sample_paid.json", "shopify/order_sample_pending.json",
                "shopify/orders_delete.json", "shopify/refunds_create.json"],
    "woocommerce": ["woocommerce/order_created_on_hold.json", "woocommerce/order_updated_cancelled.json",
                    "woocommerce/order_updated_partial_refund.json", "woocommerce/order_deleted.json",
                    "woocommerce/order_restored.json"],
    "bigcommerce": ["bigcommerce/store_order_created.json", "bigcommerce/store_order_statusUpdated.json",
                    "bigcommerce/store_order_refund_created.json", "bigcommerce/store_order_archived.json"],
}
TOPICS = ["orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled", "orders/delete",
          "orders/edited", "refunds/create", "order.created", "order.updated", "order.deleted", "order.restored",
          "store/order/created", "store/order/updated", "store/order/statusUpdated", "store/order/archived",
          "store/order/refund/created", "products/update", "", "x" * 300]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
                    st.text(max_size=10), st.just("NaN"), st.just("1e999"), st.just("-0.001"), st.just({}), st.just([]))


def _leaves(value, prefix=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _leaves(inner, (*prefix, index))
    yield prefix


def _set(document, path, new):
    if not path:
        return new
    head, *rest = path
    copy = document.copy()
    copy[head] = _set(document[head], tuple(rest), new)
    return copy


@st.composite
def mutated(draw, fixture: str) -> bytes:
    """The recorded body with one place changed, a key dropped, or replaced by something else."""
    document = json.loads(lifecycle(fixture))
    how = draw(st.sampled_from(["leaf", "drop", "raw", "as_is"]))
    if how == "raw":
        return draw(st.sampled_from([b"", b"null", b"[]", b"{", b"\xff\xfe", b"<xml/>", b'{"id": null}', b"42"]))
    if how == "leaf":
        document = _set(document, draw(st.sampled_from(list(_leaves(document)))), draw(SCALARS))
    elif how == "drop" and isinstance(document, dict) and document:
        document.pop(draw(st.sampled_from(sorted(document))))
    return json.dumps(document).encode()


@pytest.fixture
def channels(api, container, platform):
    seed_channels(container, bc_base_url=platform.url)
    serve_bigcommerce_order(platform, "bigcommerce/order_250.json", refunds=True)
    return api


@pytest.mark.slow
@pytest.mark.parametrize("platform_name", sorted(FIXTURES))
def test_no_validly_signed_delivery_is_refused(channels, platform, platform_name):
    seen: list[int] = []

    @settings(max_examples=35, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def check(data):
        fixture = data.draw(st.sampled_from(FIXTURES[platform_name]))
        body = data.draw(mutated(fixture))
        topic = data.draw(st.sampled_from(TOPICS))
        if platform_name == "bigcommerce" and data.draw(st.booleans()):
            # BigCommerce's own API answers with a changed order too.
            order = data.draw(mutated("../bigcommerce/order_250.json"))
            platform.routes[("GET", BC_ORDER)] = [(200, order, {})]
        r = deliver(channels, platform_name, body, topic)
        seen.append(r.status_code)
        assert r.status_code < 400, (fixture, topic, body[:200], r.text[:500])
        assert r.json().get("payload_id") or r.json() == {"status": "ping"}

    check()
    assert len(seen) >= 35


def test_a_bug_while_applying_is_kept_for_a_person_not_answered_500(channels, monkeypatch):
    from conveyor.channels import handlers

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the order core")

    monkeypatch.setattr(handlers, "apply_event", broken)
    r = deliver(channels, "shopify", "shopify/order_sample_paid.json", "orders/create")
    assert r.status_code == 200 and r.json()["status"] == "failed"
    [stored] = channels.get("/channels/shop/payloads", params={"status": "failed"}).json()
    assert stored["id"] == r.json()["payload_id"] and "RuntimeError" in stored["error"]
