"""Public ids: a short prefix, then a time-ordered, random base32 body (ULID-like).

Ids sort by creation time as plain strings, which makes keyset pagination by id possible and
lets us generate ids in Python before inserting (multi-row inserts need no RETURNING).
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case

PREFIXES = {
    "product": "prd",
    "sku": "sku",
    "location": "loc",
    "level": "lvl",
    "ledger": "led",
    "order": "ord",
    "line": "oln",
    "allocation": "alc",
    "event": "evt",
    "outbox": "msg",
    "reservation": "rsv",
    "channel": "chn",
    "api_key": "key",
    "shipment": "shp",
    "import": "imp",
    "payload": "pld",
    "sku_map": "smp",
    "draft": "drf",
    "request": "req",
    # automation: rules, webhook subscriptions and their delivery attempts
    "rule": "rul",
    "webhook": "whk",
    "webhook_attempt": "wha",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(kind: str) -> str:
    """A new id for `kind` (a key of PREFIXES), e.g. ``ord_01jd3k...``."""
    prefix = PREFIXES[kind]
    millis = time.time_ns() // 1_000_000
    randomness = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode(millis, 10)}{_encode(randomness, 16)}"


def new_ids(kind: str, count: int) -> list[str]:
    return [new_id(kind) for _ in range(count)]
