"""POST /api/v1/channels/{code}/inbound: a platform's webhook, exactly as the platform sends it.

Order of work, and why:
1. Verify the platform's signature over the raw body (constant time) before anything else:
   a forged request costs us one HMAC and a security log line, and stores nothing (401).
2. Store the raw payload and commit, unique on the platform's delivery id: a retried delivery
   is recognised before any work, and a bug further on can never lose an order.
3. Classify it (`channels.events.classify`: created, updated, paid, cancelled, …). BigCommerce's
   thin webhook is first fetched through its connector with the channel's credentials.
4. Apply the event through the order core in one transaction (`handlers.apply_event`) and record
   the outcome on the payload: parsed, held, ignored (nothing to apply it to) or failed.
A validly signed delivery is never answered 4xx/5xx because Conveyor cannot use it — platforms
disable webhooks that keep failing (WooCommerce after 5 in a row). It is stored, flagged for a
person (`GET /channels/{code}/payloads?status=failed`) and answered 200. When BigCommerce cannot
be reached to fetch the order, the answer is 202 and the worker fetches again (`channel.inbound`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from sqlalchemy.exc import InterfaceError, OperationalError

from conveyor.bootstrap import Container
from conveyor.channels import handlers, intake, signatures
from conveyor.channels.connectors.bigcommerce import API_ROOT, BigCommerceConnector, bigcommerce_client
from conveyor.channels.events import ChannelEvent, EventKind, classify, unusable
from conveyor.channels.http import ChannelHttpError, RetryPolicy
from conveyor.channels.model import WEBHOOK_TYPES, ChannelType
from conveyor.channels.order_events import Applied
from conveyor.channels.secrets import Vault
from conveyor.channels.service import ChannelInfo, channel_secrets, get_channel
from conveyor.channels.skumap import lookup_for
from conveyor.shared.deadline import total_deadline
from conveyor.shared.errors import DomainError, ErrorCode, NotFound

log = structlog.get_logger("conveyor.security")
intake_log = structlog.get_logger("conveyor.channels.inbound")
FINAL = {"parsed", "held", "ignored", "failed"}
# BigCommerce statuses whose refunds are worth fetching with the order (Refunded, Partially Refunded).
REFUND_STATUSES = {"4", "14"}


@dataclass(slots=True)
class InboundOutcome:
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


class FetchLater(Exception):
    """The channel could not be reached to fetch the order; the worker will try again."""


def receive_webhook(c: Container, channel_code: str, raw: bytes, headers: Mapping[str, str]) -> InboundOutcome:
    channel, secrets = _webhook_channel(c, channel_code)
    check = signatures.verify(channel.type, raw, headers, secrets.get("webhook_secret", ""))
    if not check.ok:
        log.warning("inbound webhook refused", channel=channel.code, reason=check.reason, bytes=len(raw))
        raise DomainError(ErrorCode.INVALID_SIGNATURE, "the webhook signature is missing or not valid",
                          reason=check.reason)
    if check.is_ping:
        return InboundOutcome(200, {"status": "ping"})
    topic = signatures.topic(channel.type, headers, raw)
    stored = handlers.store_payload(c, channel, raw, dict(headers), check.delivery_id, topic=topic)
    if stored.duplicate and stored.status in FINAL:
        return InboundOutcome(200, {"status": "duplicate", "payload_id": stored.id, "order_id": stored.order_id,
                                    "payload_status": stored.status})
    # A repeat of a delivery still "received" (in flight, or its first attempt crashed) is processed
    # again: placement is idempotent on (channel, external id), so at most one order results.
    return process_payload(c, channel, stored.id, raw, dict(headers), secrets)


def _webhook_channel(c: Container, code: str) -> tuple[ChannelInfo, dict[str, str]]:
    with c.reader() as uow:
        channel = get_channel(uow, code)
        if not channel.active or channel.type not in WEBHOOK_TYPES:
            raise NotFound("webhook channel", code)
        return ChannelInfo.of(channel), channel_secrets(channel, Vault.from_settings(c.settings))


def process_payload(c: Container, channel: ChannelInfo, payload_id: str, raw: bytes, headers: Mapping[str, str],
                    secrets: Mapping[str, str]) -> InboundOutcome:
    """Classify a stored delivery and apply it; the answer a signed delivery gets is always 2xx."""
    try:
        event = classify_delivery(c, channel, raw, headers, secrets)
    except FetchLater as exc:
        handlers.retry_payload_later(c, payload_id, str(exc))
        return InboundOutcome(202, {"status": "accepted", "payload_id": payload_id,
                                    "detail": f"stored; the order will be fetched again: {exc}"})
    return apply(c, channel, payload_id, event)


def apply(c: Container, channel: ChannelInfo, payload_id: str, event: ChannelEvent) -> InboundOutcome:
    """Apply a classified delivery; whatever the order core refuses is kept on the payload as
    `failed` for a person, and the sender still gets 200 (re-sending would not change it)."""
    try:
        applied = handlers.apply_event(c, channel, payload_id, event)
    except DomainError as exc:
        applied = _failed(c, payload_id, event, f"refused: {exc.detail}")
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: nothing is lost (stored), and the platform's retry helps
    except Exception as exc:  # noqa: BLE001 - a bug or a value our tables cannot hold: kept for a person
        intake_log.exception("inbound delivery could not be applied", channel=channel.code, payload_id=payload_id)
        applied = _failed(c, payload_id, event, f"internal_error: {type(exc).__name__}: {str(exc)[:300]}")
    if applied.status == "failed":
        intake_log.warning("inbound delivery needs a person", channel=channel.code, payload_id=payload_id,
                           kind=str(event.kind), problems=applied.problems[:5])
    return InboundOutcome(201 if applied.created else 200, _answer(c, payload_id, event, applied))


def _failed(c: Container, payload_id: str, event: ChannelEvent, why: str) -> Applied:
    applied = Applied("failed", "failed", None, [*event.problems, why])
    handlers.finish_payload(c, payload_id, "failed", error=why, problems=applied.problems,
                            external_id=event.external_id or None, event=event.kind.value)
    return applied


def _answer(c: Container, payload_id: str, event: ChannelEvent, applied: Applied) -> dict[str, Any]:
    body: dict[str, Any] = {"status": _status_word(event, applied), "event": event.kind.value,
                            "payload_id": payload_id, "order_id": applied.order_id, "problems": applied.problems}
    if applied.order_id:
        from conveyor.orders.service import get_order

        with c.reader() as uow:
            order = get_order(uow, applied.order_id)
            body |= {"order_status": order.status, "hold_reason": order.hold_reason}
    return body


def _status_word(event: ChannelEvent, applied: Applied) -> str:
    """"duplicate" for a create we had already placed (the platform re-sent it), else the outcome."""
    if event.kind == EventKind.CREATED and not applied.created and applied.outcome == "updated" \
            and event.platform != "amazon":
        return "duplicate"
    return applied.outcome


def classify_delivery(c: Container, channel: ChannelInfo, raw: bytes, headers: Mapping[str, str],
                      secrets: Mapping[str, str]) -> ChannelEvent:
    """The delivery as a typed event; never raises for a body we cannot use (see `problems`)."""
    with c.reader() as uow:
        event = _classify(channel, raw, headers, lookup_for(uow, channel.id), None)
    if not event.needs_fetch or channel.type != ChannelType.BIGCOMMERCE:
        return event
    try:
        fetched = _fetch_bigcommerce(channel, event, secrets)
    except ChannelHttpError as exc:
        if exc.status is None or exc.status == 429 or exc.status >= 500:
            raise FetchLater(str(exc)) from None
        event.problems.append(f"fetch_failed: BigCommerce answered {exc.status} for order {event.external_id}")
        return event
    except ValueError as exc:  # the API answered something that is not JSON
        event.problems.append(f"fetch_failed: BigCommerce's answer for order {event.external_id} is not JSON: {exc}")
        return event
    with c.reader() as uow:
        return _classify(channel, raw, headers, lookup_for(uow, channel.id), fetched)


def _classify(channel: ChannelInfo, raw: bytes, headers: Mapping[str, str], lookup: Any,
              fetched: Mapping[str, Any] | None) -> ChannelEvent:
    try:
        return classify(channel.type, None, headers, raw, sku_lookup=lookup, channel=channel.code, fetched=fetched)
    except Exception as exc:  # noqa: BLE001 - a classifier bug must not cost the platform its webhook
        intake_log.exception("classification failed", channel=channel.code)
        return unusable(channel.type, signatures.topic(channel.type, headers, raw),
                        f"classification_failed: {type(exc).__name__}: {exc}")


# Fetching a BigCommerce order (while its webhook waits for our answer, or in the worker): each
# call's connect timeout, and a total deadline for the whole fetch with its retries.
FETCH_CONNECT_S, FETCH_TOTAL_S = 5.0, 20.0


def _fetch_bigcommerce(channel: ChannelInfo, event: ChannelEvent, secrets: Mapping[str, str]) -> dict[str, Any]:
    client = bigcommerce_client(channel.config.get("store_hash", ""), secrets.get("access_token", ""),
                                api_root=channel.config.get("base_url") or API_ROOT,
                                retry=RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0),
                                timeout=httpx.Timeout(FETCH_TOTAL_S, connect=FETCH_CONNECT_S))
    with client, total_deadline(FETCH_TOTAL_S):
        connector = BigCommerceConnector(client, channel=channel.code)
        fetched = connector.fetch_order(event.external_id)
        order = fetched.get("order")
        status = str(order.get("status_id", "")) if isinstance(order, dict) else ""
        if event.kind == EventKind.REFUNDED or status in REFUND_STATUSES:
            fetched["refunds"] = connector.fetch_refunds(event.external_id)
        return fetched


def reprocess(c: Container, payload_id: str) -> None:
    """The worker's `channel.inbound`: process a stored delivery again (its order could not be
    fetched before). Raises while the channel stays unreachable, so the worker retries with backoff."""
    with c.reader() as uow:
        stored = intake.stored_delivery(uow, payload_id)
        if stored is None or stored.status in FINAL:
            return
        found = get_channel(uow, stored.channel_code)
        channel, secrets = ChannelInfo.of(found), channel_secrets(found, Vault.from_settings(c.settings))
    try:
        event = classify_delivery(c, channel, stored.body, stored.headers, secrets)
    except FetchLater as exc:
        handlers.finish_payload(c, payload_id, "received", error=str(exc))
        raise
    apply(c, channel, payload_id, event)
