"""Payment use cases: each opens one unit of work, runs one payment operation (and what follows it:
the order's hold, its invoice or credit note) and commits once. API, CLI, worker and tests call these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import structlog

from conveyor.automation import alerts
from conveyor.bootstrap import Container
from conveyor.channels.service import channel_info_by_id
from conveyor.orders import service as orders
from conveyor.payments import service, upkeep, views
from conveyor.payments.gateway import PaymentSource
from conveyor.payments.service import Attempted, RefundOutcome
from conveyor.payments.terms import money_terms
from conveyor.shared.errors import DomainError
from conveyor.shared.handlers import Idempotency, Replayed, replay_of, run, store_response
from conveyor.shared.uow import UnitOfWork

log = structlog.get_logger("conveyor.payments")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Done:
    """An operation's result and the payment as it stands after it (rendered in its transaction)."""

    attempted: Attempted
    body: dict[str, Any]


def _done(uow: UnitOfWork, attempted: Attempted) -> Done:
    body = views.render_payment(uow, attempted.payment)
    body["attempt"] = views.render_attempt(attempted.attempt)
    return Done(attempted, body)


def refused(result: object) -> bool:
    """The provider said no (the attempt is recorded and committed all the same)."""
    if isinstance(result, Done):
        result = result.attempted
    if isinstance(result, Attempted):
        return result.attempt.outcome in ("declined", "failed")
    return isinstance(result, RefundOutcome) and result.status in ("declined", "failed")


def _run(c: Container, work: Callable[[UnitOfWork], T], idempotency: Idempotency[Any] | None) -> T | Replayed:
    """One transaction, like `shared.handlers.run`, storing 402 as the answer to replay for a refusal."""
    with c.uow() as uow:
        if (replayed := replay_of(uow, idempotency)) is not None:
            return replayed
        result = work(uow)
        store_response(uow, idempotency, result, 402 if refused(result) else None)
        uow.commit()
        return result


def authorize(c: Container, order_id: str, *, provider: str, source: PaymentSource, amount_minor: int,
              idempotency_key: str, actor: str, charge: bool = False, reason: str = "",
              idempotency: Idempotency[Any] | None = None) -> Done | Replayed:
    return _run(c, lambda uow: _done(uow, service.open_payment(
        uow, order_id=order_id, provider=provider, source=source, amount_minor=amount_minor,
        idempotency_key=idempotency_key, actor=actor, charge=charge, cause="manual", reason=reason)), idempotency)


def capture(c: Container, payment_id: str, *, amount_minor: int, idempotency_key: str, actor: str,
            final: bool = False, idempotency: Idempotency[Any] | None = None) -> Done | Replayed:
    return _run(c, lambda uow: _done(uow, service.capture(
        uow, payment_id=payment_id, amount_minor=amount_minor, idempotency_key=idempotency_key, actor=actor,
        final=final)), idempotency)


def void(c: Container, payment_id: str, *, idempotency_key: str, actor: str, reason: str = "",
         idempotency: Idempotency[Any] | None = None) -> Done | Replayed:
    return _run(c, lambda uow: _done(uow, service.void(uow, payment_id=payment_id, idempotency_key=idempotency_key,
                                                        actor=actor, reason=reason)), idempotency)


def refund_order(c: Container, order_id: str, *, amount_minor: int, reason: str, idempotency_key: str, actor: str,
                 payment_id: str | None = None,
                 idempotency: Idempotency[Any] | None = None) -> RefundOutcome | Replayed:
    return _run(c, lambda uow: service.refund_order(
        uow, order_id=order_id, amount_minor=amount_minor, reason=reason, idempotency_key=idempotency_key,
        actor=actor, only_payment=payment_id), idempotency)


# --- scheduled jobs (messaging/handlers.py default_jobs) --------------------------------------------------

def retry_unknown_payments(c: Container, now: datetime) -> int:
    """Ask again, with the same idempotency key, about every attempt whose outcome is unknown."""
    with c.reader() as uow:
        due = upkeep.unknown_attempt_ids(uow)
    return _each(due, lambda attempt_id: run(c.uow, lambda uow: upkeep.retry_unknown(uow, attempt_id, now)))


def renew_authorizations(c: Container, now: datetime) -> int:
    """Re-authorize (or flag for staff) authorizations about to expire with money still to capture."""
    with c.reader() as uow:
        due = upkeep.expiring_payment_ids(uow, now + upkeep.LONGEST_HOLD)

    def renew(payment_id: str) -> str:
        def work(uow: UnitOfWork) -> str:
            payment = service.get_payment(uow, payment_id)
            order = orders.get_order(uow, payment.order_id)
            terms = money_terms(channel_info_by_id(uow, order.channel_id).config)
            done = upkeep.renew_authorization(uow, payment_id, terms, now)
            if done == "flagged":
                alerts.raise_alert(uow, f"Payment of order {order.external_id or order.id} needs attention",
                                   service.get_payment(uow, payment_id).attention, reference=order.id, now=now)
            return done
        return run(c.uow, work)

    return len([done for done in (_safely(renew, p) for p in due) if done not in (None, "none")])


def _each(ids: list[str], act: Callable[[str], object]) -> int:
    return len([done for done in (_safely(act, one) for one in ids) if done is not None])


def _safely(act: Callable[[str], object], item: str) -> object | None:
    """One item's failure is logged and skipped; the job goes on with the others."""
    try:
        return act(item)
    except DomainError as exc:
        log.warning("payment upkeep skipped an item", item=item, error=exc.detail, code=str(exc.code))
        return None
