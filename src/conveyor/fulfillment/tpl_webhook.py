"""Sending a fulfilment request to a 3PL's webhook, signed like Standard Webhooks
(https://www.standardwebhooks.com/): `webhook-id` (the outbox message id: the 3PL de-duplicates
on it, delivery is at least once), `webhook-timestamp` (Unix seconds) and `webhook-signature:
v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret. A secret given as
`whsec_<base64>` is used as those bytes, as the standard's libraries do; any other string as
its UTF-8 bytes. The body is `{"type": "fulfilment.requested", "id": …, …the request…}`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx

TIMEOUT_S = 15.0


def secret_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def signed_request(message_id: str, payload: dict[str, Any], secret: str,
                   timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the webhook for one fulfilment request."""
    body = json.dumps({"type": "fulfilment.requested", "id": message_id, **payload},
                      separators=(",", ":"), sort_keys=True).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret_bytes(secret), f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    headers = {"Content-Type": "application/json", "webhook-id": message_id, "webhook-timestamp": stamp,
               "webhook-signature": f"v1,{base64.b64encode(digest).decode()}"}
    return body, headers


def deliver(url: str, secret: str, message_id: str, payload: dict[str, Any],
            client: httpx.Client | None = None) -> int:
    """POST the request; any non-2xx raises, so the worker retries it with backoff."""
    body, headers = signed_request(message_id, payload, secret)
    if client is None:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
    else:
        response = client.post(url, content=body, headers=headers)  # the client's own timeouts
    response.raise_for_status()
    return response.status_code
