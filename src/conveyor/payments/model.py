"""Payment tables: one row per payment, one row per gateway attempt, and the in-process providers' state.

A payment is one authorization (or charge) at one provider for one order. Its money is computed from
its attempts (`payments/state.py`): the amounts on the payment row are a projection, refreshed after
every attempt, for lists and the order's financial view. Every attempt keeps what was asked, what
came back (outcome, references, error, raw response) and who asked for what. Its idempotency key is
unique: a retry after an unknown outcome asks again with the same key and updates the same row
(`tries` counts the calls, `history` keeps the earlier answers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_order", "order_id", "id"),
        Index("ix_payments_status_expiry", "status", "authorization_expires_at"),
        Index("ix_payments_provider_reference", "provider", "provider_reference"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    provider: Mapped[str] = mapped_column(String(30))  # manual | test | stripe | channel
    method: Mapped[str] = mapped_column(String(30))  # card, cash, bank_transfer, marketplace …
    currency: Mapped[str] = mapped_column(String(3))
    # What the payment was opened for (the order total at placement, a re-authorization's rest).
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # pending | authorized | partially_captured | captured | partially_refunded | refunded | voided
    # | expired | declined | failed | unknown (an attempt's outcome is not known yet)
    status: Mapped[str] = mapped_column(String(30))
    provider_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    # How to reach the customer's payment method again (a token, never a card number in production).
    source: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    authorized_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    captured_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    released_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    authorization_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # A re-authorization's new payment; this one is voided once that succeeds.
    replaced_by: Mapped[str | None] = mapped_column(String(40), default=None)
    # Something staff must look at (an authorization about to expire without a reusable method).
    attention: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PaymentAttemptRow(Base):
    """One gateway call (retries with the same idempotency key update it)."""

    __tablename__ = "payment_attempts"
    __table_args__ = (
        Index("ix_payment_attempts_payment", "payment_id", "id"),
        Index("ix_payment_attempts_order", "order_id", "id"),
        Index("ix_payment_attempts_outcome", "outcome", "attempted_at"),
        Index("ix_payment_attempts_completed", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    operation: Mapped[str] = mapped_column(String(20))  # authorize | capture | void | refund | charge
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # what was asked
    moved_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # what moved (succeeded only)
    currency: Mapped[str] = mapped_column(String(3))
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    # None while the call is in flight; then succeeded | declined | failed | pending | timeout.
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    provider_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    transaction_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    error_code: Mapped[str | None] = mapped_column(String(100), default=None)
    message: Mapped[str] = mapped_column(Text, default="")
    authorization_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    reason: Mapped[str] = mapped_column(Text, default="")
    # What asked for it: placement, shipment, manual, return, cancel, reauthorization, channel.
    cause: Mapped[str] = mapped_column(String(30), default="manual")
    cause_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # What a refund gave back per line (for its credit note, issued once the money has moved).
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class GatewayState(Base):
    """The in-process providers' documents (`payments/providers/store.py`), read and written in the
    caller's transaction: a rolled-back command leaves no provider-side trace either."""

    __tablename__ = "gateway_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
