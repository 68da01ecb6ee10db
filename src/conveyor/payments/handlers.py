"""Payment use cases: each opens one unit of work, runs one payment operation (and what follows it:
the order's hold, its invoice or credit note) and commits once. API, CLI, worker and tests call these."""

from __future__ import annotations

from typing import Any

from conveyor.bootstrap import Container
from conveyor.payments import service
from conveyor.payments.gateway import PaymentSource
from conveyor.payments.service import Attempted, RefundOutcome
from conveyor.shared.handlers import Idempotency, Replayed, run


def authorize(c: Container, order_id: str, *, provider: str, source: PaymentSource, amount_minor: int,
              idempotency_key: str, actor: str, charge: bool = False, reason: str = "",
              idempotency: Idempotency[Any] | None = None) -> Attempted | Replayed:
    return run(c.uow, lambda uow: service.open_payment(
        uow, order_id=order_id, provider=provider, source=source, amount_minor=amount_minor,
        idempotency_key=idempotency_key, actor=actor, charge=charge, cause="manual", reason=reason), idempotency)


def capture(c: Container, payment_id: str, *, amount_minor: int, idempotency_key: str, actor: str,
            final: bool = False, idempotency: Idempotency[Any] | None = None) -> Attempted | Replayed:
    return run(c.uow, lambda uow: service.capture(
        uow, payment_id=payment_id, amount_minor=amount_minor, idempotency_key=idempotency_key, actor=actor,
        final=final), idempotency)


def void(c: Container, payment_id: str, *, idempotency_key: str, actor: str, reason: str = "",
         idempotency: Idempotency[Any] | None = None) -> Attempted | Replayed:
    return run(c.uow, lambda uow: service.void(uow, payment_id=payment_id, idempotency_key=idempotency_key,
                                                actor=actor, reason=reason), idempotency)


def refund_order(c: Container, order_id: str, *, amount_minor: int, reason: str, idempotency_key: str, actor: str,
                 payment_id: str | None = None,
                 idempotency: Idempotency[Any] | None = None) -> RefundOutcome | Replayed:
    return run(c.uow, lambda uow: service.refund_order(
        uow, order_id=order_id, amount_minor=amount_minor, reason=reason, idempotency_key=idempotency_key,
        actor=actor, only_payment=payment_id), idempotency)
