"""What the worker does with every outbox topic, its scheduled jobs and its hooks.

Every topic has a consumer or is listed in IGNORED (a unit test keeps it that way, so no topic
piles up unread again). Events (order.*, stock.*, return.*, refund.*, staff.alert) are
consumed in one transaction that fans them out to deliveries — channel sync messages, one
`webhook.delivery` per subscription that wants it, the customer's e-mail, staff alert
deliveries — and runs the automation rules of the matching lifecycle point. Deliveries
(channel.*, webhook.delivery, notification.*) are the I/O, each with its own timeouts.

Nightly jobs: add a `Job(name, run, daily_at=...)` to NIGHTLY below, where `run(container, now)`
is a handler of your area (it opens its own transactions) returning a count or a short text;
the worker runs it once a day at `CONVEYOR_NIGHTLY_AT` (UTC) on one worker only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, true

from conveyor.automation import alerts, lifecycle_rules, notifications
from conveyor.automation import handlers as automation
from conveyor.automation.order_facts import FactsSettings
from conveyor.automation.service import rules_for
from conveyor.bootstrap import Container
from conveyor.channels import delivery, inbound, sync
from conveyor.channels.secrets import Vault
from conveyor.channels.service import channel_info_by_id, get_channel
from conveyor.inventory.handlers import expire_reservations
from conveyor.messaging import outbox_log, subscriptions
from conveyor.messaging.broker import BrokerSettings, publisher_for
from conveyor.messaging.model import OutboxMessage, WebhookAttempt
from conveyor.messaging.outbox import INTERNAL, Topic
from conveyor.messaging.schedule import Job
from conveyor.messaging.smtp import SmtpSender, SmtpSettings
from conveyor.messaging.streaming import Streamer
from conveyor.messaging.vault import box_for
from conveyor.messaging.webhook_delivery import WebhookDeliverer, ping
from conveyor.messaging.webhooks import DeliveryAttempt, RetryPolicy
from conveyor.messaging.worker import Handler, Hooks, Message, Policy, Worker
from conveyor.shared import deadline
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.handlers import Idempotency, Replayed, run
from conveyor.shared.ids import new_id
from conveyor.shared.uow import UnitOfWork

# Topics nobody needs to consume (none today: every event at least goes to webhook subscribers).
IGNORED: frozenset[Topic] = frozenset()
EVENTS: tuple[Topic, ...] = tuple(t for t in Topic if t not in INTERNAL)
# Which automation lifecycle point an event is (order.created counts as "allocated" when the
# order was allocated as it was placed; order.cancelled only when nothing is left open).
TRIGGERS: dict[Topic, str] = {
    Topic.ORDER_PAID: "paid", Topic.ORDER_ALLOCATED: "allocated", Topic.ORDER_SHIPPED: "shipped",
    Topic.ORDER_DELIVERED: "delivered", Topic.ORDER_CANCELLED: "cancelled", Topic.RETURN_REQUESTED: "return_requested",
    Topic.RETURN_RECEIVED: "return_received", Topic.REFUND_ISSUED: "refunded",
}
# Dead letters of these raise no staff alert (they are alerts, or covered by the webhook health notice).
NO_ALERT = frozenset({Topic.STAFF_ALERT, Topic.NOTIFICATION_WEBHOOK, Topic.WEBHOOK_DELIVERY})
# Nightly jobs of later issues plug in here (forecasts, reorder checks): see the module docstring.
NIGHTLY: list[Callable[[time], Job]] = [
    lambda at: Job("prune_outbox", prune_outbox, daily_at=at),
]


def trigger_of(topic: str, payload: dict[str, Any]) -> str | None:
    if topic == Topic.ORDER_CREATED:
        return "allocated" if payload.get("status") == "allocated" else None
    if topic == Topic.ORDER_CANCELLED and payload.get("status") != "cancelled":
        return None
    return TRIGGERS.get(topic)  # type: ignore[call-overload]  # StrEnum keys match plain strings


def event_consumer(c: Container, clock: Callable[[], datetime]) -> Callable[[UnitOfWork, Message], None]:
    """What happens to an event, in one transaction: fan-out to every delivery, then the rules."""
    box = box_for(c.settings.secret_key)
    notify, facts = notifications.NotifySettings.of(c.settings), FactsSettings.of(c.settings)

    def on_event(uow: UnitOfWork, m: Message) -> None:
        if m.topic == Topic.STOCK_CHANGED:
            sync.fan_out_stock(uow, m.id, m.payload)
        elif m.topic in sync.ORDER_TOPICS:
            sync.fan_out_order(uow, m.id, m.topic, m.payload)
        subscriptions.fan_out(uow, subscriptions.signing_subscriptions(uow, box), m.id, m.topic,
                              m.created_at or clock(), m.payload)
        notifications.plan_customer_email(uow, m.topic, m.payload, m.id, notify)
        if m.topic == Topic.STAFF_ALERT:
            notifications.plan_staff_alert(uow, m.payload, m.id, notify)
        elif m.topic == Topic.PURCHASE_ORDER_SENT:
            notifications.plan_supplier_email(uow, m.payload, m.id, notify)
        elif m.topic == Topic.STOCK_LOW:
            notifications.plan_staff_alert(uow, notifications.low_stock_alert(m.payload, clock()), m.id, notify)
        trigger = trigger_of(m.topic, m.payload)
        if trigger and m.payload.get("order_id") and rules_for(uow, trigger):
            code = channel_info_by_id(uow, m.payload["channel_id"]).code
            lifecycle_rules.run_at(uow, m.payload["order_id"], trigger, code, facts, clock())

    return on_event


def default_handlers(c: Container, clock: Callable[[], datetime] = utcnow,
                     rng: random.Random | None = None) -> dict[str, Handler]:
    vault, box = Vault.from_settings(c.settings), box_for(c.settings.secret_key)
    s = c.settings
    notify = notifications.NotifySettings.of(s)
    on_event = event_consumer(c, clock)

    deadlines = delivery.Deadlines(s.outbound_connect_timeout_seconds, s.outbound_total_timeout_seconds)
    deadline.warm_up()

    def to_channel(m: Message) -> None:
        with c.reader() as uow:
            channel = get_channel(uow, m.payload["channel_id"])
        delivery.deliver(channel, vault, m.id, m.topic, m.payload, deadlines)

    def inbound_again(m: Message) -> None:
        inbound.reprocess(c, m.payload["payload_id"])

    def to_3pl(m: Message) -> None:
        from conveyor.fulfillment.handlers import deliver_request

        deliver_request(c, m.id, m.payload)

    def notice(uow: UnitOfWork, subscription_id: str, text: str) -> None:
        alerts.raise_alert(uow, "A webhook subscription was disabled", text, reference=subscription_id, now=clock())

    deliverer = WebhookDeliverer(c, box, connect_timeout=s.webhook_connect_timeout_seconds,
                                 total_timeout=s.webhook_total_timeout_seconds,
                                 policy=RetryPolicy(max_attempts=s.webhook_max_attempts), rng=rng, clock=clock,
                                 on_notice=notice)
    sender = SmtpSender(smtp_settings(s)) if s.smtp_host else None

    def send_email(m: Message) -> None:
        if sender is None:
            raise RuntimeError("e-mail is off (CONVEYOR_SMTP_HOST is empty): configure it, then replay")
        automation.send_email(c, m.id, m.payload, sender, notify, now=clock())

    def post_alert(m: Message) -> None:
        automation.post_staff_alert(m.payload, s.webhook_connect_timeout_seconds, s.webhook_total_timeout_seconds)

    handlers = {str(topic): Handler(on_event, True) for topic in EVENTS if topic not in IGNORED}
    handlers |= {str(topic): Handler(to_channel, False) for topic in (Topic.CHANNEL_INVENTORY, Topic.CHANNEL_ORDER)}
    handlers[Topic.CHANNEL_INBOUND] = Handler(inbound_again, False)
    handlers[Topic.FULFILMENT_REQUESTED] = Handler(to_3pl, False)
    handlers[Topic.WEBHOOK_DELIVERY] = Handler(deliverer, False, batch=True)
    handlers[Topic.NOTIFICATION_EMAIL] = Handler(send_email, False)
    handlers[Topic.NOTIFICATION_WEBHOOK] = Handler(post_alert, False)
    return handlers


def smtp_settings(s: Any) -> SmtpSettings:
    return SmtpSettings(s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_username, s.smtp_password, s.smtp_sender,
                        s.smtp_timeout_seconds, s.smtp_ca_file)


def default_jobs(c: Container) -> list[Job]:
    from conveyor.fulfillment.handlers import auto_release, flag_late
    from conveyor.inventory.handlers import refill_hot_skus
    from conveyor.payments.handlers import renew_authorizations, retry_unknown_payments
    from conveyor.planning.handlers import run_forecasts
    from conveyor.purchasing.handlers import scheduled_review

    s = c.settings
    nightly_at = time.fromisoformat(s.nightly_at)
    jobs = [
        Job("expire_reservations", lambda c, now: expire_reservations(c, actor="worker"), every=timedelta(seconds=10)),
        Job("cancel_unpaid_orders", automation.cancel_unpaid_orders, every=timedelta(minutes=5)),
        Job("release_timed_holds", automation.release_timed_holds, every=timedelta(minutes=1)),
        Job("flag_late_orders", automation.flag_late_orders, every=timedelta(minutes=15)),
        # Fulfilment: release what the locations' cut-offs and rules say is due; flag parcels that
        # missed their promised date.
        Job("release_fulfilment", lambda c, now: len(auto_release(c, actor="worker")), every=timedelta(minutes=1)),
        Job("flag_late_shipments", lambda c, now: flag_late(c, actor="worker"), every=timedelta(minutes=15)),
        # Payments: ask again about unknown outcomes (same idempotency key); renew or flag expiring holds.
        Job("retry_unknown_payments", retry_unknown_payments, every=timedelta(minutes=2)),
        Job("renew_authorizations", renew_authorizations, every=timedelta(hours=1)),
        *(make(nightly_at) for make in NIGHTLY),
    ]
    # Buy and plan, each on its own setting (0 = off); hot-SKU buckets drain unevenly during a
    # flash sale, so their free stock is spread again every few seconds.
    timers: list[tuple[str, timedelta, Callable[[Container], object]]] = [
        ("replenishment_review", timedelta(minutes=s.auto_replenish_minutes), scheduled_review),
        ("forecast", timedelta(hours=s.forecast_every_hours), run_forecasts),
        ("hot_sku_refill", timedelta(seconds=s.hot_sku_refill_seconds), refill_hot_skus)]
    jobs += [Job(name, _ignoring_now(job), every=every) for name, every, job in timers if every]
    return jobs


def _ignoring_now(job: Callable[[Container], object]) -> Callable[[Container, datetime], object]:
    return lambda c, now: job(c)


def default_hooks(c: Container, clock: Callable[[], datetime] = utcnow) -> Hooks:
    s = c.settings
    publisher = publisher_for(BrokerSettings(s.broker_url, s.broker_stream, s.broker_subject_prefix))
    streamer = Streamer(c, publisher) if publisher is not None else None

    def on_dead_letter(uow: UnitOfWork, m: Message, error: str) -> None:
        if m.topic in NO_ALERT or (m.topic == Topic.NOTIFICATION_EMAIL and m.payload.get("audience") == "staff"):
            return
        alerts.raise_alert(uow, f"Gave up delivering {m.topic} {m.id}", f"After {m.attempts} attempts: {error}",
                           reference=m.key, now=clock())

    return Hooks(on_dead_letter=on_dead_letter, stream=streamer.publish_due if streamer else None,
                 jobs=default_jobs(c))


def build_worker(c: Container, policy: Policy | None = None, clock: Callable[[], datetime] = utcnow,
                 rng: random.Random | None = None) -> Worker:
    """The worker `conveyor worker` runs: every consumer, the schedule, the broker stream."""
    return Worker(c, default_handlers(c, clock, rng), policy, rng=rng, clock=clock, hooks=default_hooks(c, clock))


def prune_outbox(c: Container, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Nightly: forget delivered messages (and delivery log rows) older than `keep`. Messages the
    broker has not streamed yet stay while streaming is on."""
    t, a = table_of(OutboxMessage), table_of(WebhookAttempt)
    cutoff = now - keep
    streamed = t.c.published_at.is_not(None) if c.settings.broker_url else true()

    def work(uow: UnitOfWork) -> int:
        gone = uow.session.execute(delete(t).where(t.c.status == "done", t.c.processed_at < cutoff, streamed)
                                   .returning(t.c.id)).all()
        uow.session.execute(delete(a).where(a.c.started_at < cutoff))
        return len(gone)

    return run(c.uow, work)


# --- use cases of the API and the CLI (each one transaction) ----------------------------------------------


Created = tuple[subscriptions.SubscriptionView, str]


def create_subscription(c: Container, url: str, topics: list[str], description: str = "", secret: str | None = None,
                        idempotency: Idempotency[Created] | None = None) -> Created | Replayed:
    box = box_for(c.settings.secret_key)
    return run(c.uow, lambda uow: subscriptions.create_subscription(uow, box, url, topics, description, secret),
               idempotency)


def update_subscription(c: Container, subscription_id: str, **changes: Any) -> tuple[subscriptions.SubscriptionView,
                                                                                      str]:
    box = box_for(c.settings.secret_key)
    return run(c.uow, lambda uow: subscriptions.update_subscription(uow, box, subscription_id, **changes))


def delete_subscription(c: Container, subscription_id: str) -> None:
    run(c.uow, lambda uow: subscriptions.delete_subscription(uow, subscription_id))


def replay_subscription(c: Container, subscription_id: str, event_ids: list[str], failed: bool) -> list[str]:
    return run(c.uow, lambda uow: subscriptions.replay(uow, subscription_id, event_ids, failed))


def replay_messages(c: Container, ids: list[str], failed: bool = False, topic: str | None = None) -> list[str]:
    return run(c.uow, lambda uow: outbox_log.replay(uow, ids, failed, topic))


def ping_subscription(c: Container, subscription_id: str) -> DeliveryAttempt:
    """Send a signed `webhook.ping` to the subscription now (enabled or not) and log the attempt;
    a ping does not count towards the subscription's health."""
    box, s, now = box_for(c.settings.secret_key), c.settings, utcnow()
    with c.reader() as uow:
        subscription = subscriptions.signing_subscription(uow, box, subscription_id)
    event_id = new_id("outbox")
    result = ping(subscription, event_id, now, connect_timeout=s.webhook_connect_timeout_seconds,
                  total_timeout=s.webhook_total_timeout_seconds)
    attempt = result.attempt(subscription_id, event_id, 1, now)
    run(c.uow, lambda uow: subscriptions.write_log(uow, [subscriptions.LoggedAttempt(attempt, "webhook.ping", None,
                                                                                      "ping")]))
    return attempt
