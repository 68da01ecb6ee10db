import base64
import hashlib
import hmac
import json

import pytest

from conveyor.channels.signatures import BIGCOMMERCE_SECRET_HEADER, delivery_id, verify

SECRET = "hush-its-a-secret"
BODY = b'{"id":820982911946154508,"total_price":"10.00"}'
NOW = 1_700_000_000


def b64_hmac(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize(
    ("platform", "sig_header", "id_header"),
    [
        ("shopify", "X-Shopify-Hmac-Sha256", "X-Shopify-Webhook-Id"),
        ("woocommerce", "X-WC-Webhook-Signature", "X-WC-Webhook-Delivery-ID"),
    ],
)
class TestBodyHmac:
    def test_good_signature_passes_and_gives_delivery_id(self, platform, sig_header, id_header):
        headers = {sig_header: b64_hmac(SECRET, BODY), id_header: "d-123"}
        result = verify(platform, BODY, headers, SECRET)
        assert result.ok and result.delivery_id == "d-123" and not result.is_ping

    def test_header_names_are_case_insensitive(self, platform, sig_header, id_header):
        headers = {sig_header.lower(): b64_hmac(SECRET, BODY), id_header.upper(): "d-9"}
        assert verify(platform, BODY, headers, SECRET).delivery_id == "d-9"

    def test_tampered_body_fails(self, platform, sig_header, id_header):
        headers = {sig_header: b64_hmac(SECRET, BODY)}
        result = verify(platform, BODY.replace(b"10.00", b"0.01"), headers, SECRET)
        assert not result.ok and result.reason == "bad_signature"

    def test_wrong_secret_fails(self, platform, sig_header, id_header):
        headers = {sig_header: b64_hmac("someone-else", BODY)}
        assert verify(platform, BODY, headers, SECRET).reason == "bad_signature"

    def test_missing_signature_fails(self, platform, sig_header, id_header):
        result = verify(platform, BODY, {}, SECRET)
        assert not result.ok and result.reason == "missing_signature"

    def test_signature_over_reserialised_json_fails(self, platform, sig_header, id_header):
        # Signing must be over the raw bytes: the same JSON re-serialised does not verify.
        reserialised = json.dumps(json.loads(BODY)).encode()
        headers = {sig_header: b64_hmac(SECRET, reserialised)}
        assert not verify(platform, BODY, headers, SECRET).ok


def test_woocommerce_creation_ping_is_recognised():
    result = verify(
        "woocommerce", b"webhook_id=42", {"Content-Type": "application/x-www-form-urlencoded"}, SECRET
    )
    assert result.ok and result.is_ping


def test_unsigned_non_ping_woocommerce_body_is_refused():
    result = verify("woocommerce", b"webhook_id=42&status=completed", {}, SECRET)
    assert not result.ok and not result.is_ping


def test_no_secret_configured_refuses_everything():
    headers = {"X-Shopify-Hmac-Sha256": b64_hmac("", BODY)}
    assert verify("shopify", BODY, headers, "").reason == "no_secret_configured"


def test_amazon_has_no_webhook_verification():
    assert verify("amazon", BODY, {}, SECRET).reason.startswith("unsupported_platform")


BC_HASH = "dd70c0976e06b67aaf671e73f49dcb79230ebf9d"
BC_BODY = json.dumps(
    {"scope": "store/order/created", "store_id": "1025646", "data": {"type": "order", "id": 250},
     "hash": BC_HASH, "created_at": 1561479335, "producer": "stores/abc123"}
).encode()  # fmt: skip


def bc_signed_headers(secret: str, body: bytes, stamp: int = NOW, msg_id: str = "msg_2abc") -> dict[str, str]:
    signature = b64_hmac(secret, f"{msg_id}.{stamp}.".encode() + body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": f"v1,{signature}"}


class TestBigCommerce:
    def test_signed_callback_passes(self):
        result = verify("bigcommerce", BC_BODY, bc_signed_headers(SECRET, BC_BODY), SECRET, now=lambda: NOW)
        assert result.ok and result.delivery_id == "msg_2abc"

    def test_signed_callback_with_rotated_keys_passes(self):
        headers = bc_signed_headers(SECRET, BC_BODY)
        headers["webhook-signature"] = "v1,bm90LXRoaXMtb25l " + headers["webhook-signature"]
        assert verify("bigcommerce", BC_BODY, headers, SECRET, now=lambda: NOW).ok

    def test_signed_callback_tampered_fails(self):
        headers = bc_signed_headers(SECRET, BC_BODY)
        tampered = BC_BODY.replace(b"250", b"251")
        assert verify("bigcommerce", tampered, headers, SECRET, now=lambda: NOW).reason == "bad_signature"

    def test_signed_callback_wrong_secret_fails(self):
        headers = bc_signed_headers("other-secret", BC_BODY)
        assert verify("bigcommerce", BC_BODY, headers, SECRET, now=lambda: NOW).reason == "bad_signature"

    def test_replayed_old_callback_fails(self):
        headers = bc_signed_headers(SECRET, BC_BODY, stamp=NOW - 3600)
        assert verify("bigcommerce", BC_BODY, headers, SECRET, now=lambda: NOW).reason == "stale_timestamp"

    def test_custom_header_secret_passes_and_hash_is_delivery_id(self):
        result = verify("bigcommerce", BC_BODY, {BIGCOMMERCE_SECRET_HEADER: SECRET}, SECRET)
        assert result.ok and result.delivery_id == "dd70c0976e06b67aaf671e73f49dcb79230ebf9d"

    def test_custom_header_wrong_value_fails(self):
        assert (
            verify("bigcommerce", BC_BODY, {BIGCOMMERCE_SECRET_HEADER: "guess"}, SECRET).reason
            == "bad_signature"
        )

    def test_no_credentials_fails(self):
        assert verify("bigcommerce", BC_BODY, {}, SECRET).reason == "missing_signature"


def test_delivery_id_without_verifying():
    assert delivery_id("shopify", {"x-shopify-webhook-id": "abc"}) == "abc"
    assert delivery_id("woocommerce", {"X-WC-Webhook-Delivery-ID": "77"}) == "77"
    assert delivery_id("bigcommerce", {}, BC_BODY) == "dd70c0976e06b67aaf671e73f49dcb79230ebf9d"
    assert delivery_id("bigcommerce", {"webhook-id": "msg_1"}, BC_BODY) == "msg_1"
    assert delivery_id("shopify", {}) is None
