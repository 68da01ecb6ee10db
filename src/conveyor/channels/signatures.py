"""Webhook authenticity for each channel platform, over the RAW request body.

One entry point, `verify(platform, raw_body, headers, secret)`, returns a
`VerificationResult(ok, reason, delivery_id, is_ping)`; the inbound endpoint answers 401 when
`ok` is false and 200 without processing when `is_ping` is true. Every comparison uses
`hmac.compare_digest` so response timing does not leak how much of a forged signature was right.

Schemes:
- Shopify: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(app client secret, body)). Newer
  deliveries send the same headers without the `X-` prefix (`shopify-hmac-sha256`,
  `shopify-topic`, `shopify-webhook-id`, ...); both sets are read, case-insensitively.
  Delivery id: `X-Shopify-Webhook-Id` / `shopify-webhook-id` (stable across Shopify's retries).
- WooCommerce: `X-WC-Webhook-Signature` = base64(HMAC-SHA256(webhook secret, body)).
  Delivery id: `X-WC-Webhook-Delivery-ID`. When a webhook is saved, WooCommerce pings the
  delivery URL with the form body `webhook_id=<n>` and no signature headers at all; that ping
  is recognised (`is_ping`) so the caller answers 200 and WooCommerce keeps the hook active.
- BigCommerce: see `_verify_bigcommerce`.
- Amazon SP-API has no signed webhooks (its notifications go to SQS/EventBridge); orders are
  pulled, so `verify("amazon", ...)` is refused.

Outbound (the JSON feed and any webhook Conveyor sends) follows Standard Webhooks exactly:
`sign_standard_webhook` derives the key the way the official `standardwebhooks` libraries do
(`whsec_` prefix dropped, the rest base64-decoded), so a receiver verifies with
`Webhook(feed_secret)` as it is. `new_standard_webhook_secret()` makes such a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from conveyor.messaging import signing

# Standard Webhooks (used by BigCommerce's signed callbacks) rejects timestamps further than
# this from now, which bounds how long a captured request can be replayed.
TIMESTAMP_TOLERANCE_S = 5 * 60
# The custom header Conveyor asks BigCommerce to send when it creates a hook (`headers` in
# POST /v3/hooks); its value is the channel's webhook secret.
BIGCOMMERCE_SECRET_HEADER = "x-conveyor-webhook-secret"
_WOO_PING = re.compile(rb"^webhook_id=\d+$")


@dataclass(frozen=True, slots=True)
class VerificationResult:
    ok: bool
    reason: str = ""
    delivery_id: str | None = None
    is_ping: bool = False


def verify(
    platform: str,
    raw_body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    now: Callable[[], float] = time.time,
) -> VerificationResult:
    """Check that `raw_body` came from `platform`, signed with `secret`."""
    lower = _lower(headers)
    if not secret:
        return VerificationResult(False, "no_secret_configured")
    checker = _CHECKERS.get(platform)
    if checker is None:
        return VerificationResult(False, f"unsupported_platform: {platform}")
    return checker(raw_body, lower, secret, now)


def delivery_id(platform: str, headers: Mapping[str, str], raw_body: bytes = b"") -> str | None:
    """The platform's id for this delivery, for de-duplicating retried webhooks."""
    lower = _lower(headers)
    if platform == "shopify":
        return lower.get("x-shopify-webhook-id") or lower.get("shopify-webhook-id") or None
    if platform == "woocommerce":
        return lower.get("x-wc-webhook-delivery-id") or None
    if platform == "bigcommerce":
        return lower.get("webhook-id") or _bigcommerce_hash(raw_body)
    return None


def topic(platform: str, headers: Mapping[str, str], raw_body: bytes = b"") -> str:
    """The delivery's topic as the platform names it ("" when it names none): Shopify
    `X-Shopify-Topic`/`shopify-topic`, WooCommerce `X-WC-Webhook-Topic`, BigCommerce the body's `scope`."""
    lower = _lower(headers)
    if platform == "shopify":
        return (lower.get("x-shopify-topic") or lower.get("shopify-topic") or "").strip()
    if platform == "woocommerce":
        return (lower.get("x-wc-webhook-topic") or "").strip()
    if platform == "bigcommerce":
        try:
            scope = json.loads(raw_body).get("scope") if raw_body else None
        except (ValueError, AttributeError):
            return ""
        return str(scope or "")
    return ""


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    # HTTP header names are case-insensitive; plain dicts from tests or frameworks are not.
    return {k.lower(): v for k, v in headers.items()}


def _hmac_b64(secret: bytes, message: bytes) -> bytes:
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest())


def _matches(expected: bytes, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected, given.strip().encode())


def _verify_shopify(
    body: bytes, headers: dict[str, str], secret: str, now: Callable[[], float]
) -> VerificationResult:
    given = headers.get("x-shopify-hmac-sha256", headers.get("shopify-hmac-sha256"))
    if given is None:
        return VerificationResult(False, "missing_signature")
    if not _matches(_hmac_b64(secret.encode(), body), given):
        return VerificationResult(False, "bad_signature")
    return VerificationResult(True, delivery_id=delivery_id("shopify", headers))


def _verify_woocommerce(
    body: bytes, headers: dict[str, str], secret: str, now: Callable[[], float]
) -> VerificationResult:
    given = headers.get("x-wc-webhook-signature")
    if given is None:
        if _WOO_PING.match(body.strip()):
            # The creation ping is unsigned by design; it carries nothing to act on.
            return VerificationResult(True, "ping", is_ping=True)
        return VerificationResult(False, "missing_signature")
    if not _matches(_hmac_b64(secret.encode(), body), given):
        return VerificationResult(False, "bad_signature")
    return VerificationResult(True, delivery_id=delivery_id("woocommerce", headers))


def _verify_bigcommerce(
    body: bytes, headers: dict[str, str], secret: str, now: Callable[[], float]
) -> VerificationResult:
    """BigCommerce has two documented ways to trust a callback; we accept either.

    1. Signed callbacks (the newer scheme, following the Standard Webhooks spec): headers
       `webhook-id`, `webhook-timestamp` and `webhook-signature` ("v1,<base64>", possibly
       several separated by spaces during key rotation). The signature is
       base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")) and the key is the app's client
       secret. BigCommerce's sample code base64-encodes the client secret and hands that to the
       Standard Webhooks library (`Webhook(base64(client_secret))`), so the channel's
       `webhook_secret` may be entered either way: the client secret as the Developer Portal
       shows it, or that base64 string (with or without `whsec_`). Both readings are tried.
    2. Custom headers: BigCommerce's long-standing advice is HTTPS plus a secret header set
       when the hook is created. We send `X-Conveyor-Webhook-Secret: <secret>` and compare it
       in constant time.
    The body's `hash` field is a SHA-1 of the payload, not keyed, so it proves nothing about
    the sender; it only serves as the delivery id for de-duplication (retries repeat it).
    """
    if "webhook-signature" in headers:
        return _verify_standard_webhook(body, headers, secret, now)
    given = headers.get(BIGCOMMERCE_SECRET_HEADER)
    if given is None:
        return VerificationResult(False, "missing_signature")
    if not hmac.compare_digest(secret.encode(), given.strip().encode()):
        return VerificationResult(False, "bad_signature")
    return VerificationResult(True, delivery_id=_bigcommerce_hash(body))


def _verify_standard_webhook(
    body: bytes, headers: dict[str, str], secret: str, now: Callable[[], float]
) -> VerificationResult:
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        return VerificationResult(False, "missing_signature_headers")
    if abs(now() - int(stamp)) > TIMESTAMP_TOLERANCE_S:
        return VerificationResult(False, "stale_timestamp")
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = [_hmac_b64(key, signed) for key in _candidate_keys(secret)]
    for candidate in headers["webhook-signature"].split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and any(_matches(e, signature) for e in expected):
            return VerificationResult(True, delivery_id=msg_id)
    return VerificationResult(False, "bad_signature")


def standard_webhook_key(secret: str) -> bytes:
    """The HMAC key the official Standard Webhooks libraries derive from `secret`: the `whsec_`
    prefix dropped and the rest base64-decoded. A secret that is not base64 at all (older feed
    secrets) is used as its UTF-8 bytes; no Standard Webhooks library can verify those, so new
    secrets should come from `new_standard_webhook_secret()`."""
    body = secret.removeprefix("whsec_")
    try:
        # As the libraries do: unpadded base64 is accepted (surplus "=" is ignored).
        return base64.b64decode(body + "==")
    except (binascii.Error, ValueError):
        return body.encode()


def _candidate_keys(secret: str) -> list[bytes]:
    """The keys a received Standard Webhooks signature may have been made with: the secret's own
    bytes (a platform's client secret as shown) and the library derivation (its base64 form)."""
    keys = [] if secret.startswith("whsec_") else [secret.encode()]
    derived = standard_webhook_key(secret)
    return keys + ([derived] if derived not in keys else [])


def sign_standard_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for an outbound delivery of `body` (messaging/signing.py
    signs everything Conveyor sends)."""
    return signing.signature_headers([secret], msg_id, timestamp, body)


def new_standard_webhook_secret() -> str:
    """A fresh `whsec_` secret, the form Standard Webhooks libraries expect."""
    return signing.new_secret()


def _bigcommerce_hash(body: bytes) -> str | None:
    try:
        value = json.loads(body).get("hash") if body else None
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


_CHECKERS = {
    "shopify": _verify_shopify,
    "woocommerce": _verify_woocommerce,
    "bigcommerce": _verify_bigcommerce,
}
