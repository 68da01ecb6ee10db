"""No delivery, however mangled, makes classification raise: a validly signed delivery must be
stored and answered 2xx, so `classify` has to return an event for anything that parses (and for
what does not)."""

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conveyor.channels.events import ChannelEvent, EventKind, classify

from .lifecycle_support import DELIVERIES, bigcommerce_fetched, lookup, raw

TOPICS = st.sampled_from(["orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled",
                          "orders/delete", "refunds/create", "order.created", "order.updated", "order.deleted",
                          "order.restored", "store/order/created", "store/order/statusUpdated", "", "x/y"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20), st.text(max_size=12),
                    st.decimals(allow_nan=False, allow_infinity=False, places=3), st.just("NaN"), st.just("1e999"))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=8)


def _paths(value, prefix=()):
    """Every (path, leaf) in a JSON document, to pick a place to mutate."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))
    yield prefix, value


def _replace(document, path, new):
    if not path:
        return new
    head, *rest = path
    copy = document.copy()
    copy[head] = _replace(document[head], tuple(rest), new)
    return copy


def _assert_event(event):
    assert isinstance(event, ChannelEvent) and isinstance(event.kind, EventKind)
    if event.kind == EventKind.UNKNOWN:
        assert event.problems, "an unusable delivery must say why"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(delivery=st.sampled_from(DELIVERIES), topic=TOPICS, data=st.data(), new=JSON)
def test_mutated_recorded_deliveries_never_raise(delivery, topic, data, new):
    platform, headers, body_file = delivery
    document = json.loads(raw(body_file), parse_float=Decimal)
    paths = list(_paths(document))
    path, _ = data.draw(st.sampled_from(paths))
    mutated = _replace(document, path, new)
    body = json.dumps(mutated, default=str).encode()
    fetched = bigcommerce_fetched() if platform == "bigcommerce" and data.draw(st.booleans()) else None
    _assert_event(classify(platform, topic or None, headers, body, sku_lookup=lookup, channel="c", fetched=fetched))


@settings(max_examples=150, deadline=None)
@given(platform=st.sampled_from(["shopify", "woocommerce", "bigcommerce", "amazon"]), topic=TOPICS,
       body=st.one_of(st.binary(max_size=40), JSON.map(lambda v: json.dumps(v, default=str).encode())))
def test_arbitrary_bodies_never_raise(platform, topic, body):
    _assert_event(classify(platform, topic, {}, body, sku_lookup=lookup, channel="c"))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), new=JSON)
def test_mutated_fetched_bigcommerce_order_never_raises(data, new):
    fetched = bigcommerce_fetched()
    part = data.draw(st.sampled_from(["order", "products", "shipping_addresses"]))
    path, _ = data.draw(st.sampled_from(list(_paths(fetched[part]))))
    fetched[part] = _replace(fetched[part], path, new)
    _assert_event(classify("bigcommerce", None, {}, raw("bigcommerce/store_order_updated.json"),
                           sku_lookup=lookup, channel="c", fetched=fetched))


AMAZON_PULLS = [("get_orders_pending.json", "order_items_pending.json"),
                ("get_orders_unshipped.json", "order_items_unshipped.json"),
                ("get_orders_buyer_cancel.json", "order_items_buyer_cancel.json")]


@settings(max_examples=200, deadline=None)
@given(pull=st.sampled_from(AMAZON_PULLS), data=st.data(), new=JSON)
def test_mutated_amazon_pulls_never_raise(pull, data, new):
    from .lifecycle_support import amazon_pull

    order, items = amazon_pull(*pull)
    document = json.loads(json.dumps({"order": order, "items": items}), parse_float=Decimal)
    path, _ = data.draw(st.sampled_from(list(_paths(document))))
    body = json.dumps(_replace(document, path, new), default=str).encode()
    _assert_event(classify("amazon", None, {}, body, sku_lookup=lookup, channel="c"))
