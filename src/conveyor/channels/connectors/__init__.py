"""Pull connectors: fetch channel orders over HTTP and map them.

Each returns `PulledOrder`s carrying the raw documents as well as the mapping, because the
raw input is stored before it is trusted (DESIGN: a parsing bug must never lose an order).
A mapping that raised is kept with `error` set and `mapped` None, for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conveyor.channels.mappers.common import MappedOrder
from conveyor.shared.errors import DomainError


@dataclass(slots=True)
class PulledOrder:
    external_id: str
    raw: dict[str, Any]
    mapped: MappedOrder | None
    error: str | None = None


def map_safely(external_id: str, raw: dict[str, Any], mapping: Callable[[], MappedOrder]) -> PulledOrder:
    try:
        return PulledOrder(external_id, raw, mapping())
    except (DomainError, KeyError, TypeError, ValueError) as exc:
        return PulledOrder(external_id, raw, None, f"{type(exc).__name__}: {exc}")
