"""Signed links that let a customer request a return without an account.

The token names the order and when the link stops working, signed with HMAC-SHA256 under a secret
key (the lead wires CONVEYOR_SECRET_KEY). Nothing is stored: tampering with any part breaks the
signature, and an expired link is refused with its own code so the page can offer a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from conveyor.shared.errors import ErrorCode, ValidationFailed

_PURPOSE = b"conveyor:return-link:v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, _PURPOSE + b"\x00" + payload.encode(), hashlib.sha256).digest())


def sign_return_link(order_id: str, expires_at: datetime, secret: bytes) -> str:
    """A URL-safe token for `order_id`, valid until `expires_at`."""
    if not secret:
        raise ValueError("a return link needs a secret key")
    payload = f"{_b64(order_id.encode())}.{int(expires_at.timestamp())}"
    return f"{payload}.{_signature(secret, payload)}"


def verify_return_link(token: str, secret: bytes, now: datetime) -> str:
    """The order id the token names; refuses a forged, altered or expired token."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValidationFailed("this return link is not valid", ErrorCode.INVALID_SIGNATURE)
    encoded_order, expires, signature = parts
    payload = f"{encoded_order}.{expires}"
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise ValidationFailed("this return link is not valid", ErrorCode.INVALID_SIGNATURE)
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if now >= expires_at:
        raise ValidationFailed(
            f"this return link expired on {expires_at:%Y-%m-%d}; ask for a new one",
            ErrorCode.RETURN_LINK_EXPIRED,
            expired_at=expires_at.isoformat(),
        )
    return _unb64(encoded_order).decode()
