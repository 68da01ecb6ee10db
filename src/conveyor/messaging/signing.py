"""Standard Webhooks signatures (https://www.standardwebhooks.com, spec 1.0.0) for everything
Conveyor sends out: outbound webhooks and the channel JSON feed.

The signed content is `{msg_id}.{timestamp}.{body}`; the signature is
`v1,<base64(HMAC-SHA256(key, content))>`; the headers are `webhook-id`, `webhook-timestamp`
(integer Unix seconds) and `webhook-signature` (several signatures separated by spaces while a
secret is being rotated).

How a secret becomes the HMAC key (`secret_key`):
- `whsec_<base64>`: the part after the prefix is base64-decoded, as the spec says.
- a plain secret (no prefix) is read exactly as the official `standardwebhooks` library reads a
  string secret: base64-decoded (characters outside the base64 alphabet skipped, padding added),
  so `standardwebhooks.Webhook(secret)` verifies our deliveries for the very same string;
- a plain secret that is not base64 at all (the official library refuses such a string) is used
  as its UTF-8 bytes; a receiver then verifies with `Webhook(secret.encode())`.
New secrets should be made with `new_secret()`, which always gives the unambiguous `whsec_` form.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conveyor.shared.errors import ErrorCode, ValidationFailed

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
# The spec's (and the official libraries') default: a delivery older or newer than this is refused,
# which bounds how long a captured request can be replayed.
DEFAULT_TOLERANCE_S = 5 * 60
SECRET_BYTES = 32  # the spec asks for 24..64 random bytes


@dataclass(frozen=True, slots=True)
class VerifiedWebhook:
    """What a successful verification proves: this id and timestamp were signed with our secret."""

    msg_id: str
    timestamp: int


def new_secret() -> str:
    """A fresh signing secret in the spec's serialisation: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str | bytes) -> bytes:
    """The HMAC key for a secret (see the module docstring for the rules)."""
    if isinstance(secret, bytes):
        key = secret
    elif secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error as exc:
            raise ValidationFailed("a whsec_ secret must be base64 after the prefix") from exc
    else:
        try:
            key = base64.b64decode(secret + "==")  # the official library's reading of a string
        except binascii.Error:
            key = secret.encode()
    if not key:
        raise ValidationFailed("a webhook signing secret may not be empty")
    return key


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """`v1,<base64 signature>` of `{msg_id}.{timestamp}.{body}`."""
    _check_metadata(msg_id, timestamp)
    return _signature(secret_key(secret), msg_id, str(timestamp), body)


def signature_headers(secrets: Iterable[str | bytes], msg_id: str, timestamp: int, body: bytes | str) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret given (current one first,
    then the ones being rotated out) so receivers on either secret keep verifying."""
    signatures = [sign(secret, msg_id, timestamp, body) for secret in secrets]
    if not signatures:
        raise ValidationFailed("at least one signing secret is needed")
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}


def verify(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    tolerance: float = DEFAULT_TOLERANCE_S,
    *,
    now: float,
) -> VerifiedWebhook:
    """Check a delivery signed per Standard Webhooks; `now` is Unix seconds (clock injected).

    Raises `ValidationFailed` with code `invalid_signature` and a `reason` of
    `missing_headers`, `bad_timestamp`, `stale_timestamp` or `no_matching_signature`.
    Every candidate signature is compared in constant time."""
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id, stamp, given = (lower.get(h, "") for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and stamp and given):
        raise _refused("missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required")
    if not stamp.isdigit():
        raise _refused("bad_timestamp", "webhook-timestamp must be integer Unix seconds")
    timestamp = int(stamp)
    if abs(now - timestamp) > tolerance:
        raise _refused("stale_timestamp", f"webhook-timestamp is more than {tolerance:g} s away from now")
    expected = _signature(secret_key(secret), msg_id, stamp, body).encode()
    matched = False
    for candidate in given.split():
        # No early exit: the time taken does not depend on which candidate matched.
        version, _, _value = candidate.partition(",")
        matched |= version == SIGNATURE_VERSION and hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise _refused("no_matching_signature", "no signature matches the body with this secret")
    return VerifiedWebhook(msg_id, timestamp)


def _signature(key: bytes, msg_id: str, stamp: str, body: bytes | str) -> str:
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def _check_metadata(msg_id: str, timestamp: int) -> None:
    # The spec warns that a '.' in the id would make `{id}.{ts}.{body}` ambiguous.
    if not msg_id or "." in msg_id or any(ch.isspace() for ch in msg_id):
        raise ValidationFailed(f"webhook id {msg_id!r} must be non-empty without dots or spaces")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValidationFailed(f"webhook timestamp {timestamp!r} must be non-negative integer seconds")


def _refused(reason: str, detail: str) -> ValidationFailed:
    return ValidationFailed(f"webhook signature refused: {detail}", ErrorCode.INVALID_SIGNATURE, reason=reason)
