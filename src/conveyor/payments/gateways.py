"""Which gateway serves a provider name, and the database-backed store the in-process ones keep state in.

`manual`, `test` and `channel` (a marketplace that took the money) run in this process and keep
their documents in the `gateway_state` table, read and written in the caller's transaction: a
command that rolls back leaves no provider-side trace, and a committed one survives restarts.
`stripe` is registered by `conveyor.wiring` when an API key is configured. Tests may register
their own provider under a new name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from conveyor.payments.gateway import AuthorizeRequest, PaymentGateway
from conveyor.payments.model import GatewayState
from conveyor.payments.providers.in_process import SourceRefusal
from conveyor.payments.providers.manual import ManualGateway
from conveyor.payments.providers.store import GatewayStore
from conveyor.payments.providers.test_gateway import TestGateway
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.money import Money
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork

GatewayFactory = Callable[[GatewayStore, Callable[[], datetime]], PaymentGateway]


class DatabaseGatewayStore:
    """`GatewayStore` on the `gateway_state` table, inside one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def get(self, key: str) -> dict[str, Any] | None:
        document = self._uow.session.scalar(select(GatewayState.document).where(GatewayState.key == key))
        return None if document is None else dict(document)

    def put(self, key: str, value: dict[str, Any]) -> None:
        table = table_of(GatewayState)
        row = {"key": key, "document": value, "updated_at": utcnow()}
        if insert_ignoring_conflicts(self._uow.session, table, [row], ["key"]) == 0:
            self._uow.session.execute(
                update(table).where(table.c.key == key).values(document=value, updated_at=row["updated_at"]))


class ChannelGateway(ManualGateway):
    """A marketplace took the money (Amazon, eBay …): Conveyor records what the channel reported.
    Refunds are recorded, not sent — the marketplace pays the buyer back itself."""

    name = "channel"
    reference_prefix = "chp"

    def _refusal(self, request: AuthorizeRequest) -> SourceRefusal | None:
        return None

    def _refund_note(self, amount: Money, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return (f"refund of {amount} recorded: the marketplace pays the buyer back",
                {"sent": False, "method": "marketplace"})


# Stripe's default hold for online card payments; the test gateway behaves the same.
TEST_AUTHORIZATION_DAYS = 7

_FACTORIES: dict[str, GatewayFactory] = {
    "manual": lambda store, clock: ManualGateway(store, clock=clock),
    "test": lambda store, clock: TestGateway(store, clock=clock, authorization_days=TEST_AUTHORIZATION_DAYS),
    "channel": lambda store, clock: ChannelGateway(store, clock=clock),
}


def register(name: str, factory: GatewayFactory) -> None:
    """Make `name` a provider (replacing an earlier registration of that name)."""
    _FACTORIES[name] = factory


def providers() -> list[str]:
    return sorted(_FACTORIES)


def open_gateway(uow: UnitOfWork, provider: str, now: datetime | None = None) -> PaymentGateway:
    """The gateway for `provider`, its state in this unit of work; `now` fixes its clock (tests, jobs)."""
    factory = _FACTORIES.get(provider)
    if factory is None:
        raise ValidationFailed(f"unknown payment provider {provider!r}; one of {', '.join(providers())}",
                               ErrorCode.VALIDATION_ERROR, provider=provider)
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    return factory(DatabaseGatewayStore(uow), clock)
