"""The e-mail fast path (`api.schemas.plain_email`) answers only where `email-validator` would
answer the same: whatever it takes, the full check takes, normalised identically."""

from __future__ import annotations

import string

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.api.schemas import _email_address, plain_email

LOCAL = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-."
HOST = string.ascii_letters + string.digits + "-."


def full_check(value: str) -> str | None:
    try:
        return email_validator.validate_email(value, check_deliverability=False, test_environment=True).normalized
    except email_validator.EmailNotValidError:
        return None


# Shapes near the edges: dots and hyphens anywhere, long labels, numeric and short top-level
# domains, the IDNA prefix, special-use names, upper case.
addresses = st.builds(
    "{}@{}.{}".format,
    st.text(LOCAL, min_size=0, max_size=70),
    st.text(HOST, min_size=0, max_size=70),
    st.sampled_from(["com", "COM", "de", "x", "1", "c0m", "test", "invalid", "local", "onion", "arpa",
                     "localhost", "example", "xn--p1ai", "a-b", "museum"]),
) | st.emails().map(lambda e: e.upper() if len(e) % 2 else e)


@settings(max_examples=3000, deadline=None)
@given(addresses)
def test_the_fast_path_never_disagrees_with_the_full_check(value):
    fast = plain_email(value)
    if fast is not None:
        assert fast == full_check(value), value


@pytest.mark.parametrize(("value", "expected"), [
    ("Ada.Lovelace@Example.COM", "Ada.Lovelace@example.com"),
    ("o'brien+orders@mail.shop.de", "o'brien+orders@mail.shop.de"),
    ("ada@shop.test", "ada@shop.test"),
    ("SECURITY@A.AC", "security@a.ac"),  # RFC 2142's role mailboxes are lower-cased (found by hypothesis)
    ("Support@Shop.DE", "support@shop.de"),
])
def test_common_addresses_take_the_fast_path(value, expected):
    assert plain_email(value) == expected == full_check(value)


@pytest.mark.parametrize("value", ["ada@printer.local", "ada@xn--p1ai.xn--p1ai", "ada@127.0.0.1", "a..b@shop.de",
                                   "ada@-shop.de", "ada@shop", "ädä@shop.de", '"ada"@shop.de'])
def test_anything_unusual_is_left_to_the_full_check(value):
    assert plain_email(value) is None


def test_refusals_still_come_from_the_full_check():
    with pytest.raises(ValueError, match="special-use"):
        _email_address("ada@printer.local")
