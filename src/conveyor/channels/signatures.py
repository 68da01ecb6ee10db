"""Webhook authenticity for each channel platform, over the RAW request body.

One entry point, `verify(platform, raw_body, headers, secret)`, returns a
`VerificationResult(ok, reason, delivery_id, is_ping)`; the inbound endpoint answers 401 when
`ok` is false and 200 without processing when `is_ping` is true. Every comparison uses
`hmac.compare_digest` so response timing does not leak how much of a forged signature was right.

Schemes:
- Shopify: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(app client secret, body)).
  Delivery id: `X-Shopify-Webhook-Id` (stable across Shopify's retries).
- WooCommerce: `X-WC-Webhook-Signature` = base64(HMAC-SHA256(webhook secret, body)).
  Delivery id: `X-WC-Webhook-Delivery-ID`. When a webhook is saved, WooCommerce pings the
  delivery URL with the form body `webhook_id=<n>` and no signature headers at all; that ping
  is recognised (`is_ping`) so the caller answers 200 and WooCommerce keeps the hook active.
- BigCommerce: see `_verify_bigcommerce`.
- Amazon SP-API has no signed webhooks (its notifications go to SQS/EventBridge); orders are
  pulled, so `verify("amazon", ...)` is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
        return lower.get("x-shopify-webhook-id") or None
    if platform == "woocommerce":
        return lower.get("x-wc-webhook-delivery-id") or None
    if platform == "bigcommerce":
        return lower.get("webhook-id") or _bigcommerce_hash(raw_body)
    return None


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
    given = headers.get("x-shopify-hmac-sha256")
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
       base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")) with the app's client secret as
       the key (raw bytes; a `whsec_`-prefixed secret is base64-decoded as the spec says).
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
    expected = _hmac_b64(_standard_key(secret), f"{msg_id}.{stamp}.".encode() + body)
    for candidate in headers["webhook-signature"].split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and _matches(expected, signature):
            return VerificationResult(True, delivery_id=msg_id)
    return VerificationResult(False, "bad_signature")


def _standard_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


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
