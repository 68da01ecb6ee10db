"""Every outbox topic, its payload version and which are the worker's own deliveries (pure: the
webhook subscriptions check their filters against this list). Payloads: docs/events.md."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    ORDER_CREATED = "order.created"
    ORDER_ALLOCATED = "order.allocated"
    ORDER_HELD = "order.held"
    ORDER_RELEASED = "order.released"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_REROUTED = "order.rerouted"
    ORDER_SHIPPED = "order.shipped"
    ORDER_DELIVERED = "order.delivered"
    ORDER_COMPLETED = "order.completed"
    ORDER_OUT_FOR_DELIVERY = "order.out_for_delivery"
    ORDER_DELAYED = "order.delayed"  # not shipped by the promise (the worker's SLA job)
    STOCK_CHANGED = "stock.changed"
    # fulfilment and shipping (docs/events.md)
    FULFILMENT_RELEASED = "fulfilment.released"
    FULFILMENT_REQUESTED = "fulfilment.requested"
    FULFILMENT_SHIPPED = "fulfilment.shipped"
    FULFILMENT_DELIVERED = "fulfilment.delivered"
    FULFILMENT_EXCEPTION = "fulfilment.exception"
    FULFILMENT_CANCELLED = "fulfilment.cancelled"
    TRACKING_UPDATED = "tracking.updated"
    SHIPMENT_LATE = "shipment.late"
    INVENTORY_DISCREPANCY = "inventory.discrepancy"
    # A stored inbound delivery to process again (its order could not be fetched from the channel).
    CHANNEL_INBOUND = "channel.inbound"
    # Purchasing: the PO e-mail to the supplier (sent), each delivery counted in, the PO closed.
    PURCHASE_ORDER_SENT = "purchase_order.sent"
    PURCHASE_ORDER_RECEIVED = "purchase_order.received"
    PURCHASE_ORDER_CLOSED = "purchase_order.closed"
    # Replenishment alerts raised by a review (low stock, overstock, out of stock).
    STOCK_ALERT = "stock.alert"
    STAFF_ALERT = "staff.alert"  # something people must look at (a disabled webhook, a dead letter, ...)
    # Defined for the flows that will emit them (payments, returns, reorder checks): the worker
    # already consumes them (rules, e-mails, webhooks), see docs/events.md for the payloads.
    ORDER_PAID = "order.paid"
    RETURN_REQUESTED = "return.requested"
    RETURN_RECEIVED = "return.received"
    RETURN_APPROVED = "return.approved"
    REFUND_ISSUED = "refund.issued"
    # The rest of a return's life (returns/): rejected, graded (stock moved), resolved (money), cancelled.
    RETURN_REJECTED = "return.rejected"
    RETURN_GRADED = "return.graded"
    RETURN_RESOLVED = "return.resolved"
    RETURN_CANCELLED = "return.cancelled"
    STOCK_LOW = "stock.low"
    # Written by the worker itself: the fan-out of the above to one delivery each.
    CHANNEL_INVENTORY = "channel.inventory"  # one channel's sync target
    CHANNEL_ORDER = "channel.order"
    WEBHOOK_DELIVERY = "webhook.delivery"  # one event to one webhook subscription
    NOTIFICATION_EMAIL = "notification.email"  # one e-mail to a customer or to staff
    NOTIFICATION_WEBHOOK = "notification.webhook"  # one staff alert POSTed to a chat/incident URL


# Payload schema version per topic (docs/events.md describes each).
VERSIONS: dict[Topic, int] = dict.fromkeys(Topic, 1)
# Deliveries the worker makes for itself: never streamed to the broker, never sent to webhooks.
INTERNAL: frozenset[Topic] = frozenset({Topic.CHANNEL_INVENTORY, Topic.CHANNEL_ORDER, Topic.WEBHOOK_DELIVERY,
                                        Topic.NOTIFICATION_EMAIL, Topic.NOTIFICATION_WEBHOOK,
                                        # work orders for the worker, not news: a stored channel delivery
                                        # to process again, a fulfilment request to POST to a 3PL
                                        Topic.CHANNEL_INBOUND, Topic.FULFILMENT_REQUESTED})
