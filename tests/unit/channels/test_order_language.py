"""The order's language from what each platform sends (their documented sample payloads), stored
as `shared.languages.order_language` says: a supported language (en/de/fr/es), its region kept when
Babel knows it, anything else English, nothing said = ""."""

from __future__ import annotations

import json

import pytest

from conveyor.channels.mappers import amazon, bigcommerce, shopify, woocommerce
from conveyor.shared.languages import first_language, order_language


@pytest.mark.parametrize(("given", "stored"), [
    ("de", "de"), ("DE", "de"), ("de-AT", "de-AT"), ("de_at", "de-AT"), ("fr-Fr", "fr-FR"), ("fr-CA", "fr-CA"),
    ("es-419", "es-419"), ("en-GB", "en-GB"), ("de-XX", "de"), ("de-Latn-AT", "de-AT"),
    ("pt-BR", "en"), ("ja", "en"), ("zz", "en"), ("", ""), (None, ""), ("  ", ""),
])
def test_tags_become_a_supported_language(given, stored):
    assert order_language(given) == stored


def test_the_first_tag_that_says_anything_wins():
    assert first_language("", None, "fr_CA", "de") == "fr-CA"
    assert first_language("", "") == ""


def _shopify(fixture_json, sku_lookup, **changes):
    document = fixture_json("lifecycle/shopify/order_sample.json") | changes
    return shopify.map_order(json.dumps(document), sku_lookup, channel="shop").order


def test_shopify_customer_locale(fixture_json, sku_lookup):
    assert _shopify(fixture_json, sku_lookup).locale == "en"  # the Order resource's sample says "en"
    assert _shopify(fixture_json, sku_lookup, customer_locale="fr-CA").locale == "fr-CA"
    assert _shopify(fixture_json, sku_lookup, customer_locale="de").locale == "de"
    assert _shopify(fixture_json, sku_lookup, customer_locale="it").locale == "en"
    assert _shopify(fixture_json, sku_lookup, customer_locale=None).locale == ""


def _bigcommerce(fixture_bytes, fixture_json, sku_lookup, **changes):
    document = fixture_json("bigcommerce/order_250.json") | changes
    return bigcommerce.map_order(json.dumps(document), fixture_bytes("bigcommerce/order_250_products.json"),
                                 fixture_bytes("bigcommerce/order_250_shipping_addresses.json"), sku_lookup,
                                 channel="bc").order


def test_bigcommerce_customer_locale(fixture_bytes, fixture_json, sku_lookup):
    assert _bigcommerce(fixture_bytes, fixture_json, sku_lookup).locale == ""  # older orders: no field
    assert _bigcommerce(fixture_bytes, fixture_json, sku_lookup, customer_locale="es").locale == "es"
    assert _bigcommerce(fixture_bytes, fixture_json, sku_lookup, customer_locale="de-AT").locale == "de-AT"


def _woocommerce(fixture_json, sku_lookup, meta):
    document = fixture_json("woocommerce/order_created.json") | {"meta_data": meta}
    return woocommerce.map_order(json.dumps(document), sku_lookup, channel="woo").order


def test_woocommerce_language_from_wpml_order_meta(fixture_json, sku_lookup):
    wpml = [{"id": 812, "key": "_billing_vat", "value": "ATU12345678"},
            {"id": 813, "key": "wpml_language", "value": "de"}]
    assert _woocommerce(fixture_json, sku_lookup, wpml).locale == "de"
    # Plain WooCommerce has no language field: the channel's configured language applies later.
    assert _woocommerce(fixture_json, sku_lookup, []).locale == ""
    assert _woocommerce(fixture_json, sku_lookup, [{"id": 1, "key": "wpml_language", "value": ["x"]}]).locale == ""


@pytest.mark.parametrize(("marketplace", "stored"), [
    ("ATVPDKIKX0DER", "en-US"), ("A1PA6795UKMFR9", "de-DE"), ("A13V1IB3VIYZZH", "fr-FR"),
    ("A1RKKUPIHCS9HS", "es-ES"), ("A1AM78C64UM0Y8", "es-MX"), ("A1F83G8C2ARO7P", "en-GB"),
    ("APJ6JRA9NG5V4", "en"), ("A1VC38T7YXB528", "en"), ("NOT-A-MARKETPLACE", ""),
])
def test_amazon_language_is_the_marketplaces(fixture_json, fixture_bytes, sku_lookup, marketplace, stored):
    order = fixture_json("amazon/get_orders_page1.json")["payload"]["Orders"][0] | {"MarketplaceId": marketplace}
    items = fixture_bytes("amazon/order_items_113-1234567-1234567.json")
    assert amazon.map_order(order, items, sku_lookup, channel="amz").order.locale == stored
