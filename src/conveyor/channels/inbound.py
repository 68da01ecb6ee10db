"""POST /api/v1/channels/{code}/inbound: a platform's webhook, exactly as the platform sends it.

Order of work, and why:
1. Verify the platform's signature over the raw body (constant time) before anything else:
   a forged request costs us one HMAC and a security log line, and stores nothing.
2. Store the raw payload and commit, unique on the platform's delivery id: a retried delivery
   is recognised before any work, and a parsing bug can never lose an order.
3. Parse and map (BigCommerce's thin webhook is first fetched through its connector with the
   channel's credentials), then place the order, de-duplicated on (channel, external id).
4. Record the outcome on the payload: parsed, held (unmapped SKU, short stock) or failed.
A payload that cannot be parsed is kept as `failed` and the sender gets a 422 naming the
payload; GET /channels/{code}/payloads?status=failed lists them for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from conveyor.bootstrap import Container
from conveyor.channels import handlers, intake, signatures
from conveyor.channels.connectors.bigcommerce import API_ROOT, BigCommerceConnector, bigcommerce_client
from conveyor.channels.http import ChannelHttpError, RetryPolicy
from conveyor.channels.mappers import MappedOrder, shopify, woocommerce
from conveyor.channels.mappers import bigcommerce as bc_mapper
from conveyor.channels.model import WEBHOOK_TYPES, ChannelType
from conveyor.channels.secrets import Vault
from conveyor.channels.service import ChannelInfo, channel_secrets, get_channel
from conveyor.channels.skumap import lookup_for
from conveyor.shared.errors import DomainError, ErrorCode, NotFound

log = structlog.get_logger("conveyor.security")
FINAL = {"parsed", "held", "failed"}


@dataclass(slots=True)
class InboundOutcome:
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


class Unparseable(Exception):
    """The payload is not what the platform documents (not JSON, fields missing)."""


def receive_webhook(c: Container, channel_code: str, raw: bytes, headers: Mapping[str, str]) -> InboundOutcome:
    channel, secrets = _webhook_channel(c, channel_code)
    check = signatures.verify(channel.type, raw, headers, secrets.get("webhook_secret", ""))
    if not check.ok:
        log.warning("inbound webhook refused", channel=channel.code, reason=check.reason, bytes=len(raw))
        raise DomainError(ErrorCode.INVALID_SIGNATURE, "the webhook signature is missing or not valid",
                          reason=check.reason)
    if check.is_ping:
        return InboundOutcome(200, {"status": "ping"})
    stored = handlers.store_payload(c, channel, raw, dict(headers), check.delivery_id)
    if stored.duplicate and stored.status in FINAL:
        return _replay(stored)
    # A repeat of a delivery still "received" (in flight, or its first attempt crashed) is processed
    # again: placement is idempotent on (channel, external id), so at most one order results.
    return process_payload(c, channel, stored.id, raw, secrets)


def _webhook_channel(c: Container, code: str) -> tuple[ChannelInfo, dict[str, str]]:
    with c.reader() as uow:
        channel = get_channel(uow, code)
        if not channel.active or channel.type not in WEBHOOK_TYPES:
            raise NotFound("webhook channel", code)
        return ChannelInfo.of(channel), channel_secrets(channel, Vault.from_settings(c.settings))


def _replay(stored: intake.StoredPayload) -> InboundOutcome:
    if stored.status == "failed":
        raise DomainError(ErrorCode.UNPARSEABLE_PAYLOAD, f"this delivery was stored but could not be "
                          f"processed: {stored.error}", payload_id=stored.id)
    return InboundOutcome(200, {"status": "duplicate", "payload_id": stored.id, "order_id": stored.order_id})


def process_payload(c: Container, channel: ChannelInfo, payload_id: str, raw: bytes,
                    secrets: dict[str, str]) -> InboundOutcome:
    try:
        mapped = _map(c, channel, raw, secrets)
    except Unparseable as exc:
        handlers.finish_payload(c, payload_id, "failed", error=str(exc))
        raise DomainError(ErrorCode.UNPARSEABLE_PAYLOAD, f"payload stored but not processed: {exc}",
                          payload_id=payload_id) from None
    except ChannelHttpError as exc:
        # Left as "received": the platform's retry of this delivery will fetch again.
        handlers.finish_payload(c, payload_id, "received", error=str(exc))
        raise DomainError(ErrorCode.CHANNEL_UNAVAILABLE, f"could not fetch the order from the channel: {exc}",
                          payload_id=payload_id) from None
    return place_mapped(c, channel, payload_id, mapped)


def place_mapped(c: Container, channel: ChannelInfo, payload_id: str, mapped: MappedOrder) -> InboundOutcome:
    external_id = mapped.order.external_id
    try:
        result = handlers.place_mapped(c, channel, payload_id, mapped)
    except DomainError as exc:
        handlers.finish_payload(c, payload_id, "failed", error=exc.detail, problems=mapped.problems,
                                external_id=external_id)
        raise DomainError(exc.code, f"payload stored but the order was refused: {exc.detail}",
                          payload_id=payload_id, **exc.extra) from None
    order = result.order
    return InboundOutcome(201 if result.created else 200, {
        "status": "created" if result.created else "duplicate", "payload_id": payload_id, "order_id": order.id,
        "order_status": order.status, "hold_reason": order.hold_reason, "problems": mapped.problems})


def _map(c: Container, channel: ChannelInfo, raw: bytes, secrets: dict[str, str]) -> MappedOrder:
    fetched = _fetch_bigcommerce(channel, raw, secrets) if channel.type == ChannelType.BIGCOMMERCE else None
    with c.reader() as uow:
        lookup = lookup_for(uow, channel.id)
        try:
            if channel.type == ChannelType.SHOPIFY:
                return shopify.map_order(raw, lookup, channel=channel.code)
            if channel.type == ChannelType.WOOCOMMERCE:
                return woocommerce.map_order(raw, lookup, channel=channel.code)
            return bc_mapper.map_order(fetched["order"], fetched["products"], fetched["shipping_addresses"],
                                       lookup, channel=channel.code)
        except (ValueError, KeyError, TypeError, AttributeError, DomainError) as exc:
            raise Unparseable(_describe(exc)) from exc


def _fetch_bigcommerce(channel: ChannelInfo, raw: bytes, secrets: dict[str, str]) -> dict[str, Any]:
    try:
        order_id = bc_mapper.order_id_from_webhook(raw)
    except (ValueError, AttributeError) as exc:
        raise Unparseable(_describe(exc)) from exc
    if not order_id:
        raise Unparseable("the webhook names no order (data.id)")
    client = bigcommerce_client(channel.config.get("store_hash", ""), secrets.get("access_token", ""),
                                api_root=channel.config.get("base_url") or API_ROOT,
                                retry=RetryPolicy(max_attempts=3, base_delay_s=0.2, max_delay_s=2.0), timeout=10.0)
    with client:
        return BigCommerceConnector(client, channel=channel.code).fetch_order(order_id)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValueError) and type(exc).__name__ == "JSONDecodeError":
        return f"the body is not valid JSON ({exc})"
    if isinstance(exc, DomainError):
        return exc.detail
    return f"{type(exc).__name__}: {exc}"
