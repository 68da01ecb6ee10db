"""Checking EasyPost's webhook signature: `X-Hmac-Signature: hmac-sha256-hex=<hex digest>`, an
HMAC-SHA256 of the raw request body keyed with the webhook's secret after Unicode NFKD
normalisation (as EasyPost's client libraries' `validate_webhook` do; see
https://docs.easypost.com/guides/webhooks-guide#hmac-validation)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

PREFIX = "hmac-sha256-hex="


def signature(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode()
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def is_valid(body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` signs `body` with `secret` (an empty secret or header never does)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(signature(body, secret).lower(), header.strip().lower())
