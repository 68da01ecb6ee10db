"""Refunding an order through `payments.service.refund_order`: through the original payment, never more
than captured, replayed by its key, each with a credit note that matches to the cent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conveyor.billing import service as billing
from conveyor.payments import service
from conveyor.payments.model import PaymentAttemptRow
from conveyor.shared.errors import DomainError
from tests.integration.money.helpers import pay, place_taxed_order


def refund(c, order_id, amount, key, **extra):
    with c.uow() as uow:
        outcome = service.refund_order(uow, order_id=order_id, amount_minor=amount, reason="goodwill",
                                       idempotency_key=key, actor="test", **extra)
        uow.commit()
        return outcome


def test_refund_moves_money_back_and_issues_a_credit_note(container):
    order_id = place_taxed_order(container)
    paid = pay(container, order_id)
    assert paid.succeeded and paid.payment.captured_minor == 3 * 1999 + 600 + 490 + 49

    outcome = refund(container, order_id, 1000, "r-1")

    assert (outcome.status, outcome.refunded_minor, outcome.currency) == ("succeeded", 1000, "USD")
    with container.reader() as uow:
        payment = service.order_payments(uow, order_id)[0]
        note = billing.get_credit_note(uow, outcome.credit_note_id)
        assert (payment.refunded_minor, payment.status) == (1000, "partially_refunded")
        assert note.total_minor == 1000 and sum(line.total_minor for line in note.lines) == 1000
        assert note.number.startswith("CN-") and note.number.endswith("000001")
        # 10 % tax throughout: the tax given back is the tax inside 10.00 at that rate
        assert note.tax_minor == 91


def test_the_same_key_replays_the_first_refund(container):
    order_id = place_taxed_order(container)
    pay(container, order_id)
    first = refund(container, order_id, 500, "r-same")
    again = refund(container, order_id, 500, "r-same")
    assert again == first
    with container.reader() as uow:
        assert service.order_payments(uow, order_id)[0].refunded_minor == 500
        attempts = uow.session.scalar(select(func.count()).select_from(PaymentAttemptRow)
                                      .where(PaymentAttemptRow.operation == "refund"))
        assert attempts == 1
    with pytest.raises(DomainError) as refused:
        refund(container, order_id, 600, "r-same")
    assert refused.value.code == "idempotency_key_reused"


def test_more_than_captured_is_refused_and_nothing_is_written(container):
    order_id = place_taxed_order(container)
    paid = pay(container, order_id)
    captured = paid.payment.captured_minor
    refund(container, order_id, captured - 100, "r-most")
    with pytest.raises(DomainError) as refused:
        refund(container, order_id, 101, "r-too-much")
    assert refused.value.code == "refund_exceeds_captured"
    assert refused.value.extra["refundable"] == "1.00"
    last = refund(container, order_id, 100, "r-rest")
    assert last.status == "succeeded"
    with container.reader() as uow:
        payment = service.order_payments(uow, order_id)[0]
        assert (payment.refunded_minor, payment.status) == (captured, "refunded")
        notes = billing.order_credit_notes(uow, order_id)
        assert sum(n.total_minor for n in notes) == captured
        assert [n.seq for n in notes] == [1, 2]


def test_an_order_without_captured_money_cannot_be_refunded(container):
    order_id = place_taxed_order(container)
    pay(container, order_id, charge=False)  # authorized only
    with pytest.raises(DomainError) as refused:
        refund(container, order_id, 100, "r-early")
    assert refused.value.code == "refund_exceeds_captured"
