"""Staff alerts: one door, `raise_alert(uow, ...)`, which queues a `staff.alert` event in the
caller's transaction. The worker sends it by e-mail and/or as a JSON POST (settings
`CONVEYOR_STAFF_ALERT_EMAIL`, `CONVEYOR_STAFF_ALERT_WEBHOOK_URL`, or the `to` a rule names), and
webhook subscriptions may subscribe to `staff.alert` too.

Raised today for: a webhook subscription disabled after persistent failure, a message
dead-lettered after its last attempt, an order not shipped by its promise, a rule's
`notify_staff` action. Low stock comes as a `stock.low` event (purchasing/low_stock.py), which the
worker turns into a `low_stock` alert (notifications.low_stock_alert)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.uow import UnitOfWork

Via = Literal["", "email", "webhook"]


def raise_alert(uow: UnitOfWork, title: str, detail: str, *, reference: str = "", link: str = "",
                kind: Literal["exception", "low_stock"] = "exception", via: Via = "", to: str = "",
                items: list[dict[str, Any]] | None = None, now: datetime | None = None) -> str:
    """Queue an alert; `via`/`to` send it to one place only (a rule's notify_staff), otherwise it
    goes to every configured staff destination. `items` (low stock): sku, name, location,
    available, reorder_point. Returns the outbox message id."""
    payload: dict[str, Any] = {"kind": kind, "title": title[:200], "detail": detail[:4000], "reference": reference,
                               "link": link, "occurred_at": as_utc(now or utcnow()).isoformat(), "via": via, "to": to}
    if items is not None:
        payload["items"] = items
    return outbox.enqueue(uow, Topic.STAFF_ALERT, reference or "staff", payload)
