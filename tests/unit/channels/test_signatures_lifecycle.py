"""Signatures as the platforms send them, and outbound Standard Webhooks checked by the official
`standardwebhooks` library."""

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conveyor.channels.signatures import (
    delivery_id,
    new_standard_webhook_secret,
    sign_standard_webhook,
    standard_webhook_key,
    topic,
    verify,
)

BODY = b'{"id":820982911946154508,"total_price":"388.00"}'
SECRET = "shpss_0123456789abcdef"


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


class TestShopifyHeaderSets:
    def test_unprefixed_headers_are_verified_and_read(self):
        headers = {"shopify-hmac-sha256": _b64_hmac(SECRET.encode(), BODY), "shopify-topic": "orders/paid",
                   "shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}
        result = verify("shopify", BODY, headers, SECRET)
        assert result.ok and result.delivery_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
        assert topic("shopify", headers) == "orders/paid"

    def test_prefixed_headers_in_any_case(self):
        headers = {"X-SHOPIFY-HMAC-SHA256": _b64_hmac(SECRET.encode(), BODY), "x-shopify-topic": "orders/create",
                   "X-Shopify-Webhook-Id": "d-1"}
        assert verify("shopify", BODY, headers, SECRET).delivery_id == "d-1"
        assert topic("shopify", headers) == "orders/create"

    def test_unprefixed_signature_over_other_bytes_fails(self):
        headers = {"shopify-hmac-sha256": _b64_hmac(SECRET.encode(), BODY + b" ")}
        assert verify("shopify", BODY, headers, SECRET).reason == "bad_signature"


class TestBigCommerceSecretAsTheSampleCodePassesIt:
    """BigCommerce's sample: `Webhook(base64.b64encode(client_secret.encode()).decode())`."""

    CLIENT_SECRET = "4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"  # as the Developer Portal shows it

    def _signed(self):
        library = Webhook(base64.b64encode(self.CLIENT_SECRET.encode()).decode())
        stamp = datetime.now(UTC).replace(microsecond=0)
        signature = library.sign("msg_1", stamp, BODY.decode())
        return {"webhook-id": "msg_1", "webhook-timestamp": str(int(stamp.timestamp())), "webhook-signature": signature}

    @pytest.mark.parametrize("entered", ["client secret", "base64 of it", "whsec_ + base64"])
    def test_each_documented_input_verifies(self, entered):
        encoded = base64.b64encode(self.CLIENT_SECRET.encode()).decode()
        secret = {"client secret": self.CLIENT_SECRET, "base64 of it": encoded,
                  "whsec_ + base64": f"whsec_{encoded}"}[entered]
        assert verify("bigcommerce", BODY, self._signed(), secret).ok

    def test_another_apps_secret_fails(self):
        assert verify("bigcommerce", BODY, self._signed(), "0" * 32).reason == "bad_signature"


class TestOutboundStandardWebhooks:
    def test_official_library_verifies_what_we_sign_with_a_whsec_secret(self):
        secret = new_standard_webhook_secret()
        assert secret.startswith("whsec_")
        headers = sign_standard_webhook(secret, "msg_2abc", int(time.time()), BODY)
        assert Webhook(secret).verify(BODY, headers) is not None

    def test_official_library_refuses_a_tampered_body(self):
        secret = new_standard_webhook_secret()
        headers = sign_standard_webhook(secret, "msg_2abc", int(time.time()), BODY)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(BODY.replace(b"388", b"1"), headers)

    def test_whsec_secret_is_decoded_not_used_literally(self):
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        assert standard_webhook_key(secret) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        headers = sign_standard_webhook(secret, "msg_1", 1_700_000_000, BODY)
        literal = _b64_hmac(secret.encode(), b"msg_1.1700000000." + BODY)
        assert headers["webhook-signature"] != f"v1,{literal}"

    def test_our_inbound_verifier_and_our_signer_agree(self):
        secret = new_standard_webhook_secret()
        stamp = 1_700_000_000
        headers = sign_standard_webhook(secret, "msg_9", stamp, BODY)
        result = verify("bigcommerce", BODY, headers, secret, now=lambda: stamp)
        assert result.ok and result.delivery_id == "msg_9"


def test_topics_per_platform():
    assert topic("woocommerce", {"X-WC-Webhook-Topic": "order.updated"}) == "order.updated"
    assert topic("bigcommerce", {}, b'{"scope": "store/order/statusUpdated"}') == "store/order/statusUpdated"
    assert topic("bigcommerce", {}, b"not json") == ""
    assert delivery_id("shopify", {"shopify-webhook-id": "w-7"}) == "w-7"
