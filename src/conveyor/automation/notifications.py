"""Customer e-mails and staff alerts: which event becomes which message, and what goes in it.

Two steps, both driven by the worker through the outbox:
1. Planning (database only, in the transaction that marks the event handled, so exactly once):
   `plan_customer_email` turns an order event into one `notification.email` message for the
   order's customer (in the order's language); `plan_staff_alert` turns a `staff.alert` into an
   e-mail and/or a JSON POST for staff.
2. Sending (I/O; automation/handlers.py `send_email`): `email_for` reads what the e-mail shows
   (order, lines, shipment) and renders it; `messaging.smtp.send_once` sends it once.

| event | e-mail |
|---|---|
| order.created | order_received |
| order.shipped | order_shipped (carrier, tracking number, tracking link) |
| order.out_for_delivery | out_for_delivery |
| order.delivered | delivered |
| order.delayed | delayed |
| order.cancelled (the whole order) | cancelled |
| return.approved | return_approved (payload: `return_number`, `items`, `return_by`, `label_url`) |
| refund.issued | refund_issued (payload: `amount_minor`, `currency`, `method`) |

A `purchase_order.sent` becomes one `purchase_order` e-mail to the supplier (`plan_supplier_email`:
the PO's own subject and text, its PDF attached when it is sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from conveyor.automation import alerts
from conveyor.automation.tracking_links import tracking_url
from conveyor.messaging import outbox
from conveyor.messaging.email.context import (
    Address,
    DelayInfo,
    Incident,
    LineItem,
    OrderInfo,
    RefundInfo,
    ReturnInfo,
    ShipmentInfo,
    Shop,
    StockItem,
)
from conveyor.messaging.outbox import Topic
from conveyor.orders import queries
from conveyor.orders import service as orders
from conveyor.shared.clock import as_utc
from conveyor.shared.money import Money
from conveyor.shared.uow import UnitOfWork

CUSTOMER_EMAILS: dict[str, str] = {
    Topic.ORDER_CREATED: "order_received", Topic.ORDER_SHIPPED: "order_shipped",
    Topic.ORDER_OUT_FOR_DELIVERY: "out_for_delivery", Topic.ORDER_DELIVERED: "delivered",
    Topic.ORDER_DELAYED: "delayed", Topic.ORDER_CANCELLED: "cancelled", Topic.RETURN_APPROVED: "return_approved",
    Topic.REFUND_ISSUED: "refund_issued",
}
SHIPMENT_KINDS = ("order_shipped", "out_for_delivery", "delivered")


@dataclass(frozen=True, slots=True)
class NotifySettings:
    email_on: bool  # an SMTP host is configured
    shop: Shop
    time_zone: str = "UTC"
    tracking_template: str = ""
    staff_email: str = ""
    staff_webhook_url: str = ""

    @classmethod
    def of(cls, settings: Any) -> NotifySettings:
        return cls(bool(settings.smtp_host), Shop(settings.shop_name, settings.shop_url, settings.shop_support_email),
                   settings.shop_time_zone, settings.tracking_url_template, settings.staff_alert_email,
                   settings.staff_alert_webhook_url)


def plan_customer_email(uow: UnitOfWork, topic: str, payload: dict[str, Any], event_id: str,
                        settings: NotifySettings) -> str | None:
    """Queue the customer e-mail this event calls for; returns its message id (None: none)."""
    kind = CUSTOMER_EMAILS.get(topic)
    if kind is None or not settings.email_on:
        return None
    if kind == "cancelled" and payload.get("status") != "cancelled":
        return None  # some lines cancelled, the rest still coming: no "your order is cancelled"
    order = orders.get_order(uow, payload["order_id"])
    if not order.customer_email:
        return None
    return outbox.enqueue(uow, Topic.NOTIFICATION_EMAIL, order.id, {
        "kind": kind, "audience": "customer", "to": order.customer_email, "locale": order.locale or "en",
        "order_id": order.id, "event_id": event_id, "data": payload})


def plan_staff_alert(uow: UnitOfWork, alert: dict[str, Any], event_id: str, settings: NotifySettings) -> int:
    """Queue the e-mail and/or POST of one staff alert; returns how many were queued."""
    via, to = alert.get("via", ""), alert.get("to", "")
    email_to = to if via == "email" else (settings.staff_email if not via else "")
    webhook_to = to if via == "webhook" else (settings.staff_webhook_url if not via else "")
    queued = 0
    if email_to and settings.email_on:
        outbox.enqueue(uow, Topic.NOTIFICATION_EMAIL, alert.get("reference") or "staff", {
            "kind": alert.get("kind", "exception"), "audience": "staff", "to": email_to, "locale": "en",
            "order_id": None, "event_id": event_id, "data": alert})
        queued += 1
    if webhook_to:
        outbox.enqueue(uow, Topic.NOTIFICATION_WEBHOOK, alert.get("reference") or "staff",
                       {"url": webhook_to, "event_id": event_id, "alert": alert})
        queued += 1
    return queued


def low_stock_alert(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The staff alert of a `stock.low` event (kind `low_stock`: the e-mail lists the item)."""
    where = f"{event['sku']} at {event['location']}"
    return {"kind": "low_stock", "title": f"Low stock: {where}",
            "detail": f"{event['available']} available to sell, {event['rule']}.", "reference": event["sku_id"],
            "link": "", "occurred_at": as_utc(now).isoformat(), "via": "", "to": "",
            "items": [{"sku": event["sku"], "name": event.get("name") or event["sku"], "location": event["location"],
                       "available": event["available"], "reorder_point": event["threshold"]}]}


def plan_supplier_email(uow: UnitOfWork, payload: dict[str, Any], event_id: str,
                        settings: NotifySettings) -> str | None:
    """Queue the e-mail of a sent purchase order to its supplier; a supplier without an address
    gets a staff alert instead (someone has to send the PDF by hand)."""
    if not settings.email_on:
        return None
    email = payload.get("email") or {}
    if not email.get("to"):
        alerts.raise_alert(uow, f"Purchase order {payload['number']} was not e-mailed",
                           f"The supplier has no e-mail address: send the PDF (GET /api/v1/purchase-orders/"
                           f"{payload['po_id']}/pdf) another way.", reference=payload["po_id"])
        return None
    return outbox.enqueue(uow, Topic.NOTIFICATION_EMAIL, payload["po_id"], {
        "kind": "purchase_order", "audience": "supplier", "to": email["to"], "locale": "en", "order_id": None,
        "event_id": event_id, "data": payload})


def email_for(uow: UnitOfWork, job: dict[str, Any], settings: NotifySettings) -> dict[str, Any]:
    """The template context of a planned e-mail (see `messaging.email.render.KINDS`)."""
    context: dict[str, Any] = {"shop": settings.shop, "time_zone": settings.time_zone}
    data = job["data"]
    if job["audience"] == "staff":
        if job["kind"] == "low_stock":
            context["items"] = tuple(StockItem(**item) for item in data.get("items", []))
        else:
            context["incident"] = Incident(data["title"], data["detail"], datetime.fromisoformat(data["occurred_at"]),
                                           data.get("reference", ""), data.get("link", ""))
        return context
    order = orders.get_order(uow, job["order_id"])
    info = order_info(order)
    context |= {"customer_name": order.customer_name or "", "order": info}
    kind = job["kind"]
    if kind in SHIPMENT_KINDS or (kind == "delayed" and queries.latest_shipment(uow, order.id)):
        context["shipment"] = _shipment(uow, order.id, data, settings)
    if kind == "delayed":
        context["delay"] = DelayInfo(_day(data.get("new_estimate")), data.get("customer_reason", ""))
    elif kind == "cancelled":
        context["cancellation_reason"] = data.get("customer_reason") or None
    elif kind == "return_approved":
        items = tuple(LineItem(i["name"], i["sku"], i["quantity"], Money(i["unit_price_minor"], order.currency))
                      for i in data.get("items", []))
        context["rma"] = ReturnInfo(data["return_number"], items, _day(data.get("return_by")),
                                    data.get("label_url", ""))
    elif kind == "refund_issued":
        context["refund"] = RefundInfo(Money(data["amount_minor"], data.get("currency", order.currency)),
                                       data.get("method", ""))
    return context


def order_info(order: Any) -> OrderInfo:
    lines = tuple(LineItem(li.name or li.sku_code, li.sku_code, li.quantity, Money(li.unit_price_minor, order.currency))
                  for li in order.lines)
    address = None
    if order.shipping_address and order.shipping_address.get("line1"):
        a = order.shipping_address
        address = Address(a.get("name", ""), tuple(x for x in (a.get("line1", ""), a.get("line2", "")) if x),
                          a.get("city", ""), a.get("postal_code", ""), a.get("country", ""), a.get("region", ""),
                          a.get("company", ""))
    return OrderInfo(order.external_id or order.id, as_utc(order.created_at), Money(order.total_minor, order.currency),
                     lines, address)


def _shipment(uow: UnitOfWork, order_id: str, data: dict[str, Any], settings: NotifySettings) -> ShipmentInfo:
    shipment_id = data.get("shipment_id") or (data.get("shipments") or [None])[0]
    found = queries.shipment_view(uow, shipment_id) if shipment_id else queries.latest_shipment(uow, order_id)
    carrier = found.carrier if found else data.get("carrier", "")
    number = found.tracking_number if found else data.get("tracking_number", "")
    link = tracking_url(carrier, number, settings.tracking_template, settings.shop.url)
    delivered = as_utc(found.delivered_at) if found and found.delivered_at else None
    return ShipmentInfo(carrier or "-", number or "-", link, None, delivered)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
