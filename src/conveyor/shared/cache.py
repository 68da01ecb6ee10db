"""Caches of things that rarely change and are read on every request (API keys, channels,
locations' routing settings, the routing configuration, SKUs).

The container owns one `Caches` per process; services reach it through their unit of work
(`uow.caches`) and invalidate what they change once the transaction commits
(`uow.after_commit`). Values are frozen (dataclasses with frozen=True, tuples, mapping proxies),
so nothing read from a cache can be changed by accident or drag an ORM session along.

Across processes a cache is only as fresh as its time-to-live: a change made by one API worker
(or the CLI) is seen by the others within `ttl` seconds (`CONVEYOR_CACHE_SECONDS`, default 10;
API keys: `CONVEYOR_API_KEY_CACHE_SECONDS`, default 5). Misses are never cached, so something new
(a key just created, a channel just added) is found at once everywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A thread-safe map from key to (loaded at, value) with a time-to-live."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def peek(self, key: K) -> V | None:
        """The cached value if it is still fresh, without loading anything."""
        hit = self._entries.get(key)
        if hit is not None and self._clock() - hit[0] < self.ttl:
            return hit[1]
        return None

    def get(self, key: K, load: Callable[[], V | None]) -> V | None:
        """The fresh cached value, or `load()` (stored unless it is None)."""
        found = self.peek(key)
        if found is not None:
            return found
        value = load()
        if value is not None and self.ttl > 0:
            self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (self._clock(), value)

    def invalidate(self, key: K | None = None) -> None:
        """Forget one key, or everything."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)


class Caches:
    """Every cache of one process, by name. Areas name their own ("channels", "api_keys", …) so
    this module knows none of them; `ttl_overrides` gives some a different time-to-live."""

    def __init__(self, default_ttl: float = 10.0, ttl_overrides: dict[str, float] | None = None) -> None:
        self.default_ttl = default_ttl
        self.ttl_overrides = dict(ttl_overrides or {})
        self._caches: dict[str, TtlCache[Any, Any]] = {}
        self._lock = threading.Lock()

    def named(self, name: str) -> TtlCache[Any, Any]:
        cache = self._caches.get(name)
        if cache is None:
            with self._lock:
                cache = self._caches.setdefault(
                    name, TtlCache(self.ttl_overrides.get(name, self.default_ttl)))
        return cache

    def clear(self) -> None:
        for cache in list(self._caches.values()):
            cache.invalidate()
