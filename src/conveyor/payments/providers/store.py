"""Where the in-process providers (manual, test) keep their state: JSON documents by key.

The default keeps them in memory; the lead backs the same protocol with a table (one row per key,
read and written in the caller's transaction, the payment's row locked while it changes).
Idempotency records live in the same store, so a replay survives a restart when the store does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from conveyor.payments.gateway import GatewayResult, Operation, Outcome
from conveyor.shared.money import Money


class GatewayStore(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...


class InMemoryGatewayStore:
    """A dict of JSON copies: what a caller gets back can never change what is stored."""

    def __init__(self) -> None:
        self._documents: dict[str, str] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        text = self._documents.get(key)
        return None if text is None else dict(json.loads(text))

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._documents[key] = json.dumps(value, sort_keys=True)

    def keys(self) -> list[str]:
        return sorted(self._documents)


def fingerprint(**request: Any) -> str:
    """A stable digest of a request, to tell a replay from a different request under the same key."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def reference_for(prefix: str, provider: str, idempotency_key: str) -> str:
    """A provider reference derived from the key: the same request always names the same payment."""
    digest = hashlib.sha256(f"{provider}\x00{idempotency_key}".encode()).hexdigest()
    return f"{prefix}_{digest[:24]}"


class IdempotencyLedger:
    """Remembers the first result per idempotency key, as Stripe does for 24 hours (we keep it as
    long as the store does)."""

    def __init__(self, store: GatewayStore, provider: str) -> None:
        self._store = store
        self._provider = provider

    def _key(self, idempotency_key: str) -> str:
        return f"{self._provider}:idempotency:{idempotency_key}"

    def replay(
        self, idempotency_key: str, request_fingerprint: str, operation: Operation, amount: Money
    ) -> GatewayResult | None:
        """The stored result for this key, a refusal if the key was used for another request, or None."""
        if not idempotency_key:
            return GatewayResult(
                operation,
                Outcome.FAILED,
                amount,
                self._provider,
                error_code="idempotency_key_missing",
                message="every payment operation needs an idempotency key",
            )
        stored = self._store.get(self._key(idempotency_key))
        if stored is None:
            return None
        if stored["fingerprint"] != request_fingerprint:
            return GatewayResult(
                operation,
                Outcome.FAILED,
                amount,
                self._provider,
                error_code="idempotency_key_reused",
                message=f"idempotency key {idempotency_key!r} was already used for a different request",
            )
        result = GatewayResult.from_json(stored["result"])
        return GatewayResult.from_json({**result.to_json(), "raw": {**result.raw, "idempotent_replayed": True}})

    def remember(self, idempotency_key: str, request_fingerprint: str, result: GatewayResult) -> None:
        self._store.put(self._key(idempotency_key), {"fingerprint": request_fingerprint, "result": result.to_json()})
