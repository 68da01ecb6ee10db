"""Public ids: a short prefix, then a time-ordered, random base32 body (ULID-like).

Ids sort by creation time as plain strings, which makes keyset pagination by id possible and
lets us generate ids in Python before inserting (multi-row inserts need no RETURNING).
"""

from __future__ import annotations

import os
import threading
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
    "bucket": "lvb",
    # buy and plan (purchasing, planning)
    "supplier": "sup",
    "supplier_item": "spi",
    "purchase_order": "po",
    "po_line": "pol",
    "asn": "asn",
    "receipt": "rcp",
    "replenishment": "rps",
    "transfer": "trf",
    "drop_ship": "dsf",
    "forecast": "fct",
    # fulfilment and shipping
    "fulfilment_order": "ffo",
    "fulfilment_line": "ffl",
    "bin": "bin",
    "sku_bin": "sbn",
    "pick_list": "pkl",
    "package": "pkg",
    "tpl_request": "tpr",
    "tpl_confirmation": "tpc",
    "tpl_snapshot": "tps",
    "tpl_discrepancy": "tpd",
    "label": "lbl",
    "tracking_event": "trk",
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


_last = [0, 0]  # (millis, randomness) of the last id made in this process
_lock = threading.Lock()


def new_id(kind: str) -> str:
    """A new id for `kind` (a key of PREFIXES), e.g. ``ord_01jd3k...``.

    Monotonic within a process (as ULID's monotonic mode): an id made in the same millisecond as
    the previous one takes its random part plus one, so events appended one after the other in a
    transaction keep their order on the timeline."""
    prefix = PREFIXES[kind]
    with _lock:
        millis = max(time.time_ns() // 1_000_000, _last[0])
        if millis == _last[0] and _last[1] < 2**80 - 1:
            randomness = _last[1] + 1
        else:
            randomness = int.from_bytes(os.urandom(10), "big") >> 1  # headroom for increments
        _last[0], _last[1] = millis, randomness
    return f"{prefix}_{_encode(millis, 10)}{_encode(randomness, 16)}"


def new_ids(kind: str, count: int) -> list[str]:
    return [new_id(kind) for _ in range(count)]
