"""Webhook signatures: 3PL requests signed like Standard Webhooks (checked with the standard's own
library), EasyPost's X-Hmac-Signature checked as EasyPost's client libraries compute it."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from conveyor.fulfillment.tpl_webhook import deliver, signed_request
from conveyor.shipping.easypost_webhook import is_valid, signature

SECRET = "whsec_" + base64.b64encode(b"a-3pl-shared-secret-of-32-bytes!").decode()
PAYLOAD = {"request_id": "tpr_1", "lines": [{"sku": "TEE", "quantity": 2}]}


def test_a_fulfilment_request_verifies_with_the_standard_webhooks_library():
    body, headers = signed_request("msg_1", PAYLOAD, SECRET)
    assert Webhook(SECRET).verify(body, headers) == {"type": "fulfilment.requested", "id": "msg_1", **PAYLOAD}
    tampered = body.replace(b'"quantity":2', b'"quantity":20')
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, headers)


def test_delivery_posts_the_signed_body_and_raises_on_refusal():
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500 if len(seen) > 1 else 202)

    client = httpx.Client(transport=httpx.MockTransport(receiver))
    assert deliver("https://3pl.example/in", SECRET, "msg_1", PAYLOAD, client) == 202
    assert seen[0].headers["webhook-id"] == "msg_1"
    with pytest.raises(httpx.HTTPStatusError):  # the worker records it and retries with backoff
        deliver("https://3pl.example/in", SECRET, "msg_1", PAYLOAD, client)


def test_easypost_signature_is_hex_hmac_of_the_raw_body_with_the_nfkd_secret():
    body = b'{"description":"tracker.updated"}'
    expected = "hmac-sha256-hex=" + hmac.new("ﬁne secret".encode().replace("ﬁ".encode(), b"fi"), body,
                                            hashlib.sha256).hexdigest()
    assert signature(body, "ﬁne secret") == expected  # the ligature normalises to "fi" (NFKD)
    assert is_valid(body, expected.upper().replace("HMAC-SHA256-HEX=", "hmac-sha256-hex="), "ﬁne secret")
    assert not is_valid(body + b" ", expected, "ﬁne secret")
    assert not is_valid(body, expected, "")
    assert not is_valid(body, None, "ﬁne secret")
