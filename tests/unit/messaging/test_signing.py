"""Standard Webhooks signatures: the spec's test vector, and the official `standardwebhooks`
library (the verifier our receivers use) accepting what we sign."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conveyor.messaging.signing import new_secret, secret_key, sign, signature_headers, verify
from conveyor.shared.errors import ErrorCode, ValidationFailed

# The published test vector of Standard Webhooks (standard-webhooks/standard-webhooks,
# libraries/python/tests/test_webhooks.py `test_sign_function`; the same values are used by the
# JavaScript, Go and Rust libraries of the spec's repository).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

BODY = b'{"type":"order.shipped","id":"msg_01","timestamp":"2026-11-30T10:00:00Z","version":1,"data":{"id":"ord_1"}}'


def _signed(secret: str | bytes, body: bytes = BODY, msg_id: str = "msg_01") -> dict[str, str]:
    return signature_headers([secret], msg_id, int(time.time()), body)


def test_the_spec_test_vector_reproduces():
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_the_test_vector_verifies_with_our_verifier():
    headers = {"webhook-id": VECTOR_ID, "webhook-timestamp": str(VECTOR_TIMESTAMP),
               "webhook-signature": VECTOR_SIGNATURE}
    verified = verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP + 10)
    assert (verified.msg_id, verified.timestamp) == (VECTOR_ID, VECTOR_TIMESTAMP)


def test_official_library_verifies_a_whsec_secret():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert Webhook(secret).verify(BODY, _signed(secret))["data"] == {"id": "ord_1"}


@pytest.mark.parametrize("plain", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "conveyor-feed-secret-2026", "hunter2hunter2"])
def test_official_library_verifies_a_plain_secret_given_as_the_same_string(plain):
    assert Webhook(plain).verify(BODY, _signed(plain))["type"] == "order.shipped"


def test_a_plain_secret_means_the_same_key_with_or_without_the_prefix():
    assert secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == secret_key(VECTOR_SECRET)


def test_a_secret_that_is_not_base64_signs_with_its_bytes_as_the_official_library_does_with_bytes():
    plain = "abcde"  # five base64 characters cannot be decoded; the official library refuses the string
    with pytest.raises(ValueError):
        Webhook(plain)
    assert Webhook(plain.encode()).verify(BODY, _signed(plain))["type"] == "order.shipped"


def test_rotation_signs_with_both_secrets_and_either_verifies():
    old, new = new_secret(), new_secret()
    headers = signature_headers([new, old], "msg_rot", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)
    verify(old, headers, BODY, now=time.time())


@pytest.mark.parametrize("tamper", ["body", "id", "timestamp", "signature", "secret"])
def test_tampering_fails_in_the_official_library_and_ours(tamper):
    secret = new_secret()
    headers, body = _signed(secret), BODY
    if tamper == "body":
        body = BODY.replace(b"ord_1", b"ord_2")
    elif tamper == "id":
        headers["webhook-id"] = "msg_02"
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) - 1)
    elif tamper == "signature":
        headers["webhook-signature"] = headers["webhook-signature"][:-5] + "AAAA="
    else:
        secret = new_secret()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)
    with pytest.raises(ValidationFailed) as refused:
        verify(secret, headers, body, now=time.time())
    assert refused.value.code == ErrorCode.INVALID_SIGNATURE
    assert refused.value.extra["reason"] == "no_matching_signature"


def test_verify_reads_headers_case_insensitively_and_skips_other_versions():
    secret = new_secret()
    headers = _signed(secret)
    mixed = {"Webhook-Id": headers["webhook-id"], "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
             "Webhook-Signature": "v1a,bm90LWFuLWVkMjU1MTk= " + headers["webhook-signature"]}
    assert verify(secret, mixed, BODY, now=time.time()).msg_id == "msg_01"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"webhook-id": "msg_1", "webhook-timestamp": "1700000000"}, "missing_headers"),
        ({"webhook-id": "msg_1", "webhook-timestamp": "soon", "webhook-signature": "v1,xx"}, "bad_timestamp"),
    ],
)
def test_verify_names_what_is_wrong_with_the_headers(headers, reason):
    with pytest.raises(ValidationFailed) as refused:
        verify(new_secret(), headers, BODY, now=1700000000)
    assert refused.value.extra["reason"] == reason


def test_a_replayed_delivery_outside_the_tolerance_is_refused():
    secret, sent_at = new_secret(), 1_700_000_000
    headers = signature_headers([secret], "msg_old", sent_at, BODY)
    assert verify(secret, headers, BODY, tolerance=300, now=sent_at + 300).msg_id == "msg_old"
    for now in (sent_at + 301, sent_at - 301):
        with pytest.raises(ValidationFailed) as refused:
            verify(secret, headers, BODY, tolerance=300, now=now)
        assert refused.value.extra["reason"] == "stale_timestamp"


def test_our_verifier_accepts_what_the_official_library_signs():
    secret = new_secret()
    stamp = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    signature = Webhook(secret).sign("msg_lib", stamp, BODY.decode())
    headers = {"webhook-id": "msg_lib", "webhook-timestamp": str(int(stamp.timestamp())),
               "webhook-signature": signature}
    assert verify(secret, headers, BODY, now=stamp.timestamp()).msg_id == "msg_lib"


@pytest.mark.parametrize("msg_id", ["", "msg.1", "msg 1"])
def test_ids_that_would_make_the_signed_content_ambiguous_are_refused(msg_id):
    with pytest.raises(ValidationFailed):
        sign(new_secret(), msg_id, 1_700_000_000, BODY)


def test_an_empty_or_broken_secret_is_refused():
    for secret in ("", "whsec_", "whsec_not base64!"):
        with pytest.raises(ValidationFailed):
            sign(secret, "msg_1", 1_700_000_000, BODY)
