"""Automation use cases: each opens its own transaction(s) and commits (the API, the CLI and the
worker call these).

- rules: create, change, delete, dry run against past orders;
- notifications: send one planned e-mail (exactly once, logged on the order's timeline), POST
  one staff alert;
- scheduled jobs (the worker runs them, see messaging/handlers.py `default_jobs`): cancel orders
  left unpaid, lift timed holds, flag orders not shipped by their promise.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import structlog

from conveyor.automation import alerts, notifications
from conveyor.automation import service as rules_store
from conveyor.automation.order_facts import FactsSettings, facts_for_order, fields_used
from conveyor.automation.rules import DryRunReport, parse_rule
from conveyor.automation.rules import dry_run as evaluate_past
from conveyor.bootstrap import Container
from conveyor.channels.service import channel_info_by_id
from conveyor.messaging.aio import run_sync
from conveyor.messaging.email import render
from conveyor.messaging.sent_ledger import SentEmails
from conveyor.messaging.smtp import (
    Attachment,
    SendResult,
    SmtpSender,
    build_document_message,
    build_message,
    send_once,
)
from conveyor.messaging.webhook_http import post
from conveyor.orders import handlers as order_handlers
from conveyor.orders import operations, queries, timeline
from conveyor.orders.timeline import EventType
from conveyor.purchasing.documents import render_po_pdf
from conveyor.purchasing.purchase_orders import po_document
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError
from conveyor.shared.handlers import Idempotency, Replayed, run
from conveyor.shared.uow import UnitOfWork

log = structlog.get_logger("conveyor.automation")
ACTOR = "automation"

# --- rules --------------------------------------------------------------------------------------------


def create_rule(c: Container, document: Any, actor: str, position: int | None = None,
                idempotency: Idempotency[rules_store.StoredRule] | None = None) -> rules_store.StoredRule | Replayed:
    return run(c.uow, lambda uow: rules_store.create_rule(uow, document, actor, position), idempotency)


def update_rule(c: Container, rule_id: str, document: Any, actor: str,
                position: int | None = None) -> rules_store.StoredRule:
    return run(c.uow, lambda uow: rules_store.update_rule(uow, rule_id, document, actor, position))


def delete_rule(c: Container, rule_id: str) -> None:
    run(c.uow, lambda uow: rules_store.delete_rule(uow, rule_id))


def dry_run(c: Container, document: Any, since: datetime | None = None, limit: int = 500) -> DryRunReport:
    """Which of the newest `limit` orders (placed since `since`) the rule's condition would have
    hit, whatever its triggers and even when disabled. Changes nothing."""
    rule = parse_rule(document)
    settings, needs = FactsSettings.of(c.settings), fields_used([rule])
    with c.reader() as uow:
        past = [(order.id, facts_for_order(uow, order, channel_info_by_id(uow, order.channel_id).code, settings,
                                           needs)[0]) for order in queries.recent_orders(uow, since, limit)]
    return evaluate_past(rule, past)


# --- notifications -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str
    sent: bool  # False: it had already gone out (a retry)


def send_email(c: Container, outbox_id: str, job: dict[str, Any], sender: SmtpSender,
               settings: notifications.NotifySettings, now: datetime | None = None) -> Sent:
    """Render and send one planned e-mail; a retry after a success sends nothing. A customer
    e-mail is logged on the order's timeline (`notification.sent`) with the sent record."""
    if job["audience"] == "supplier":
        return send_purchase_order(c, outbox_id, job, sender, now)
    with c.reader() as uow:
        context = notifications.email_for(uow, job, settings)
    email = render(job["kind"], job.get("locale"), context)
    message = build_message(email, to=job["to"], sender=sender.settings.sender, outbox_id=outbox_id,
                            now=now or utcnow(), reply_to=settings.shop.support_email)
    order_id = job.get("order_id")
    ledger = SentEmails(c, outbox_id, job["kind"], job["to"], order_id)
    if order_id:
        ledger = _with_timeline(ledger, order_id, job, email.language)
    result: SendResult = send_once(_within(sender, TOTAL_SMTP_FACTOR * sender.settings.timeout), message, ledger)
    return Sent(result.message_id, result.sent)


def send_purchase_order(c: Container, outbox_id: str, job: dict[str, Any], sender: SmtpSender,
                        now: datetime | None = None) -> Sent:
    """The PO e-mail to its supplier with the PO's PDF attached, drawn now from the database. Its
    Message-ID is the PO's id: one e-mail per PO, however often the worker retries it or the
    `purchase_order.sent` event is replayed."""
    data = job["data"]
    email, po_id = data["email"], data["po_id"]
    with c.reader() as uow:
        document = po_document(uow, po_id, "Purchasing", c.settings.purchasing_email)
    pdf = Attachment(f"{document.number}.pdf", render_po_pdf(document))
    message = build_document_message(email["subject"], email["body"], [pdf], to=job["to"],
                                     sender=sender.settings.sender, message_key=po_id, now=now or utcnow(),
                                     reply_to=email.get("from", ""))
    ledger = SentEmails(c, outbox_id, job["kind"], job["to"], None)
    result = send_once(_within(sender, TOTAL_SMTP_FACTOR * sender.settings.timeout), message, ledger)
    return Sent(result.message_id, result.sent)


TOTAL_SMTP_FACTOR = 2  # aiosmtplib's timeout is per operation; the whole conversation gets twice that


def _within(sender: SmtpSender, total_s: float) -> Callable[[EmailMessage], SendResult]:
    """`sender.send` with a hard deadline on the whole SMTP conversation."""
    def send(message: EmailMessage) -> SendResult:
        return run_sync(lambda: asyncio.wait_for(sender.send_async(message), total_s))

    return send


def _with_timeline(ledger: SentEmails, order_id: str, job: dict[str, Any], language: str) -> SentEmails:
    def log_on_timeline(uow: UnitOfWork, message_id: str) -> None:
        timeline.append(uow, order_id, EventType.NOTIFICATION_SENT, {
            "kind": job["kind"], "channel": "email", "to": job["to"], "language": language,
            "message_id": message_id, "event_id": job.get("event_id")}, ACTOR)

    ledger.also = log_on_timeline
    return ledger


def post_staff_alert(job: dict[str, Any], connect_timeout: float, total_timeout: float) -> None:
    """POST one staff alert as JSON (`text` for chat tools, `alert` with every field)."""
    alert = job["alert"]
    body = json.dumps({"text": f"{alert['title']}: {alert['detail']}", "alert": alert}).encode()
    result = post(job["url"], body, {"content-type": "application/json", "user-agent": "Conveyor-Alerts/1"},
                  connect_timeout=connect_timeout, total_timeout=total_timeout)
    if result.status_code is None or not 200 <= result.status_code < 300:
        raise RuntimeError(f"staff alert POST failed: {result.error or result.status_code}")


# --- scheduled jobs -------------------------------------------------------------------------------------


def cancel_unpaid_orders(c: Container, now: datetime) -> int:
    """Cancel orders held for payment (`awaiting_payment`, `payment_failed`) longer than
    `CONVEYOR_UNPAID_CANCEL_HOURS` after they were placed; their stock goes back."""
    hours = c.settings.unpaid_cancel_hours
    if hours <= 0:
        return 0
    with c.reader() as uow:
        due = queries.unpaid_hold_ids(uow, now - timedelta(hours=hours))
    reason = f"unpaid: cancelled automatically {hours:g} h after it was placed"
    return _each(due, lambda order_id: order_handlers.cancel_order(c, order_id, reason=reason, actor=ACTOR))


def release_timed_holds(c: Container, now: datetime) -> int:
    with c.reader() as uow:
        due = queries.due_timed_hold_ids(uow, now)
    return _each(due, lambda order_id: order_handlers.release_hold(c, order_id, ACTOR))


def flag_late_orders(c: Container, now: datetime) -> int:
    """Orders not shipped `CONVEYOR_SLA_SHIP_HOURS` after placement: one `order.delayed` event each
    (the customer is told, if e-mail is on) and one staff alert."""
    hours = c.settings.sla_ship_hours
    if hours <= 0:
        return 0
    with c.reader() as uow:
        late = queries.late_order_ids(uow, now - timedelta(hours=hours))

    def flag(order_id: str) -> None:
        def work(uow: UnitOfWork) -> None:
            order = operations.flag_delayed(uow, order_id, now, ACTOR, reason=f"not shipped {hours:g} h after placing")
            alerts.raise_alert(uow, f"Order {order.external_id or order.id} is late",
                               f"Not shipped {hours:g} h after it was placed (status {order.status}).",
                               reference=order.id, now=now)
        run(c.uow, work)

    return _each(late, flag)


def _each(order_ids: list[str], act: Any) -> int:
    """Act on each order in its own transaction; one that can't be changed is logged and skipped."""
    done = 0
    for order_id in order_ids:
        try:
            act(order_id)
            done += 1
        except DomainError as exc:
            log.warning("scheduled change skipped", order_id=order_id, error=exc.detail)
    return done
