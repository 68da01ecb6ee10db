"""Export and erasure of a person's data, across every area that keeps a copy of it.

A person is named by e-mail address and/or phone number (there is no customer table: see
orders/customers.py). Each area finds and scrubs its own copies through its `privacy` module; this
handler only composes them, in one transaction, so an erasure is never half done.

Erasure keeps the financial record — order lines, prices, totals, allocations, shipments, the
stock ledger, label costs — and anonymises the rest: the orders' contact details and addresses
(country and region stay, for tax), timeline entries, inbound payload copies, phone-order drafts,
outbox messages, the sent-e-mail log, 3PL requests, label documents and stored idempotent answers.
Orders still being worked on need their address: erasure waits until they are finished.
"""

from __future__ import annotations

from typing import Any

import structlog

from conveyor.bootstrap import Container
from conveyor.channels import privacy as channels
from conveyor.fulfillment import privacy as fulfilment
from conveyor.messaging import privacy as messaging
from conveyor.orders import privacy as orders
from conveyor.orders import timeline
from conveyor.orders.timeline import EventType
from conveyor.shared import idempotency, pii
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.handlers import run
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping import privacy as shipping

log = structlog.get_logger("conveyor.pii")


def export_person(c: Container, email: str = "", phone: str = "") -> dict[str, Any]:
    """Everything held about the person, as one JSON document."""
    with c.reader() as uow:
        found = orders.person_orders(uow, email, phone)
        order_ids = [o.id for o in found]
        keys = order_ids + fulfilment.fulfilment_order_ids(uow, order_ids)
        requests, confirmations = fulfilment.tpl_documents(uow, order_ids)
        return {
            "subject": {"email": email.strip().lower(), "phone": phone.strip()},
            "exported_at": utcnow().isoformat(),
            "orders": orders.export_orders(uow, found),
            "channel_payloads": channels.export_payloads(channels.payloads_for(uow, order_ids)),
            "drafts": channels.export_drafts(channels.drafts_for(uow, order_ids, email, phone)),
            **messaging.export(messaging.messages_for(uow, keys), messaging.emails_for(uow, order_ids, email)),
            "fulfilment_requests": fulfilment.export(requests, confirmations),
        }


def erase_person(c: Container, email: str = "", phone: str = "", actor: str = "system",
                 reason: str = "") -> dict[str, int]:
    """Anonymise the person everywhere, keep the financial record; counts of what was erased."""
    counts = run(c.uow, lambda uow: _erase(uow, email, phone, actor, reason))
    log.info("privacy.erased", actor=actor, reason=reason, **counts)
    return counts


def _erase(uow: UnitOfWork, email: str, phone: str, actor: str, reason: str) -> dict[str, int]:
    found = orders.person_orders(uow, email, phone, for_update=True)
    if open_orders := orders.unfinished(found):
        raise DomainError(ErrorCode.CONFLICT, f"{len(open_orders)} order(s) are still being fulfilled and need the "
                          "address; erase once they are finished or cancelled", order_ids=open_orders[:50])
    order_ids = [o.id for o in found]
    keys = order_ids + fulfilment.fulfilment_order_ids(uow, order_ids)
    payloads, drafts = channels.payloads_for(uow, order_ids), channels.drafts_for(uow, order_ids, email, phone)
    messages, emails = messaging.messages_for(uow, keys), messaging.emails_for(uow, order_ids, email)
    requests, confirmations = fulfilment.tpl_documents(uow, order_ids)
    labels = shipping.labels_for(uow, order_ids)

    events = orders.erase_orders(uow, found)
    channels.erase(uow, payloads, drafts)
    messaging.erase(uow, messages, emails)
    fulfilment.erase(uow, requests, confirmations)
    shipping.erase(uow, labels)
    answers = idempotency.scrub_responses(uow, order_ids, pii.scrub)
    for order_id in order_ids:  # written after the scrub, so the erasure itself stays on record
        timeline.append(uow, order_id, EventType.CUSTOMER_ERASED, {"reason": reason}, actor)
    return {"orders": len(found), "timeline_entries": events, "channel_payloads": len(payloads),
            "drafts": len(drafts), "outbox_messages": len(messages), "emails_sent": len(emails),
            "fulfilment_requests": len(requests) + len(confirmations), "labels": len(labels),
            "stored_responses": answers}
