"""JSON text for the hot path: orjson where it can, the standard library where it can't.

orjson writes the same JSON for the documents we store and answer with (objects with text keys,
text, numbers that fit 64 bits, booleans, null) several times faster than `json.dumps`, which
the order hot path called twice per order (the stored JSON columns and the answer). Where orjson
refuses a value (a key that is not text, an integer wider than 64 bits, a lone surrogate), the
standard library writes it, as it did before, so nothing that was storable stops being so."""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, separators=(",", ":")).encode()


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()
