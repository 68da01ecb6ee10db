"""Public ids: a short prefix, then a time-ordered, random base32 body (ULID-like).

Ids sort by creation time as plain strings, which makes keyset pagination by id possible and
lets us generate ids in Python before inserting (multi-row inserts need no RETURNING).
"""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache

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
    # the dashboard: users and their login sessions
    "user": "usr",
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
    # money: payments and their gateway attempts, invoices, credit notes
    "payment": "pay",
    "payment_attempt": "pat",
    "invoice": "inv",
    "invoice_line": "inl",
    "credit_note": "crn",
    "credit_note_line": "cnl",
    # returns (RMAs) and store credit
    "return": "rma",
    "return_line": "rml",
    "store_credit": "scr",
}


# Every pair of base32 digits: an id's 130 bits (50 of time, 80 of randomness) are 13 table
# look-ups instead of 26 shifts — ids are made ~20 per order, so this is on the hot path.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = range(120, -1, -10)


_RANDOM_SHIFTS = range(70, -1, -10)  # the 16 digits of the 80 random bits (the time takes 10)


def _encode(value: int) -> str:
    """26 base32 digits of a 130-bit value, most significant first."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


@lru_cache(maxsize=4)
def _time_digits(millis: int) -> str:
    """The first 10 digits of every id made in millisecond `millis` (its 50 bits of time)."""
    return _encode(millis << 80)[:10]


def _id_digits(millis: int, randomness: int) -> str:
    """`_encode(millis << 80 | randomness)`, with the time's digits made once per millisecond."""
    return _time_digits(millis) + "".join([_PAIRS[(randomness >> shift) & 1023] for shift in _RANDOM_SHIFTS])


_last = [0, 0]  # (millis, randomness) of the last id made in this process
_lock = threading.Lock()
_MAX_RANDOM = 2**80 - 1


def _forget_after_fork() -> None:
    """A forked child must not count on from its parent's last id: two children would make the
    same ids within that millisecond. Its first id starts from fresh randomness instead."""
    global _lock
    _lock = threading.Lock()
    _last[0] = _last[1] = 0


os.register_at_fork(after_in_child=_forget_after_fork)


def _reserve(count: int) -> tuple[int, int]:
    """The millisecond and the first of `count` consecutive random parts for new ids (call under
    `_lock`). Within one millisecond the random part counts up from the previous id's."""
    millis = max(time.time_ns() // 1_000_000, _last[0])
    if millis == _last[0] and _last[1] + count <= _MAX_RANDOM:
        first = _last[1] + 1
    else:
        first = int.from_bytes(os.urandom(10), "big") >> 1  # headroom for increments
    _last[0], _last[1] = millis, first + count - 1
    return millis, first


def new_id(kind: str) -> str:
    """A new id for `kind` (see PREFIXES), e.g. `ord_01hx…`.

    Monotonic within a process (as ULID's monotonic mode): an id made in the same millisecond as
    the previous one takes its random part plus one, so events appended one after the other in a
    transaction keep their order on the timeline."""
    prefix = PREFIXES[kind]
    with _lock:
        millis, randomness = _reserve(1)
    return f"{prefix}_{_id_digits(millis, randomness)}"


def new_ids(kind: str, count: int) -> list[str]:
    """`count` new ids for `kind`, in order (one lock for all of them)."""
    prefix = PREFIXES[kind]
    with _lock:
        millis, first = _reserve(count)
    return [f"{prefix}_{_id_digits(millis, first + i)}" for i in range(count)]
