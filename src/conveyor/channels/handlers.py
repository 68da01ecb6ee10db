"""Channel use cases: settings, SKU mapping, inbound deliveries, file imports, POS sales and phone
drafts. Each opens its own unit of work and commits once (see shared/handlers.py); an inbound
payload is committed on its own first, before anything is parsed, so a parsing bug never loses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conveyor.bootstrap import Container
from conveyor.channels import drafts, intake, order_events, service, skumap
from conveyor.channels.events import ChannelEvent
from conveyor.channels.mappers.common import MappedOrder
from conveyor.channels.model import Channel, DraftOrder, DraftStatus
from conveyor.channels.secrets import Vault
from conveyor.channels.service import ChannelInfo
from conveyor.inventory.locations import resolve_location
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders import handlers as orders
from conveyor.orders import operations, placement
from conveyor.orders.commands import PlaceOrder
from conveyor.orders.placement import Placement, PlacementResult
from conveyor.orders.service import get_order
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.handlers import Idempotency, Replayed, replay_of, run, store_response
from conveyor.shared.uow import UnitOfWork

# --- settings and SKU mapping ---------------------------------------------------------------------


def create_channel(c: Container, idempotency: Idempotency[Channel] | None = None, **fields: Any) -> Channel | Replayed:
    vault = Vault.from_settings(c.settings)
    return run(c.uow, lambda uow: service.create_channel(uow, vault=vault, **fields), idempotency)


def update_channel(c: Container, code: str, changes: dict[str, Any], secrets: dict[str, str] | None = None) -> Channel:
    vault = Vault.from_settings(c.settings)
    return run(c.uow, lambda uow: service.update_channel(uow, code, changes, secrets=secrets, vault=vault))


def set_mappings(c: Container, code: str, entries: list[skumap.Mapping]) -> int:
    return run(c.uow, lambda uow: skumap.set_mappings(uow, code, entries))


def delete_mapping(c: Container, code: str, channel_sku: str) -> None:
    run(c.uow, lambda uow: skumap.delete_mapping(uow, code, channel_sku))


# --- inbound deliveries (webhooks and polls) ------------------------------------------------------

def store_payload(c: Container, channel: ChannelInfo, raw: bytes, headers: dict[str, str],
                  delivery_id: str | None, source: str = "webhook", topic: str = "") -> intake.StoredPayload:
    """Keep a delivery exactly as received (its own transaction: nothing is parsed yet)."""
    return run(c.uow, lambda uow: intake.store_payload(uow, channel, raw, headers, delivery_id, source, topic))


def finish_payload(c: Container, payload_id: str, status: str, **outcome: Any) -> None:
    run(c.uow, lambda uow: intake.finish_payload(uow, payload_id, status, **outcome))


def retry_payload_later(c: Container, payload_id: str, error: str) -> None:
    """The order behind a stored delivery could not be fetched now: keep it `received` with the
    error and let the worker process it again (`channel.inbound`, retried with backoff)."""
    def work(uow: UnitOfWork) -> None:
        intake.finish_payload(uow, payload_id, "received", error=error)
        outbox.enqueue(uow, Topic.CHANNEL_INBOUND, payload_id, {"payload_id": payload_id})

    run(c.uow, work)


def apply_event(c: Container, channel: ChannelInfo, payload_id: str, event: ChannelEvent) -> order_events.Applied:
    """Apply one classified delivery to its order and record the outcome on its payload, in one
    transaction: a new order is placed (short stock under a reject policy holds it: it was sold on
    the channel), a known one changes through the order core, and an unknown one is left alone."""
    actor = f"channel:{channel.code}"

    def attempt() -> order_events.Applied:
        with c.uow() as uow:
            applied, placed = _apply_in(uow, c, channel, event, actor)
            intake.finish_payload(uow, payload_id, applied.status, order_id=applied.order_id,
                                  problems=applied.problems, external_id=event.external_id or None,
                                  event=event.kind.value)
            if placed is not None:
                placement.take_stock(uow, placed)  # last: the guarded stock UPDATE (orders/placement.py)
            uow.commit()
            return applied

    return orders.retrying(attempt)


def _apply_in(uow: UnitOfWork, c: Container, channel: ChannelInfo, event: ChannelEvent,
              actor: str) -> tuple[order_events.Applied, Placement | None]:
    known = order_events.known_order(uow, channel, event)
    if known is not None:
        return order_events.apply_to_order(uow, channel, known, event, actor), None
    if not order_events.creates_order(event):
        return order_events.not_applied(channel, event), None
    cmd, later_hold = order_events.command_for(uow, channel, event)
    result, placed = orders.place_in(uow, cmd, c, actor, paid_on_channel=True)
    if not result.created:  # another delivery of the same order placed it a moment ago
        return order_events.apply_to_order(uow, channel, result.order, event, actor), placed
    return order_events.after_placement(uow, event, result.order.id, later_hold, actor), placed


def map_and_release(c: Container, code: str, entry: skumap.Mapping, actor: str) -> order_events.Released:
    """Map one channel key (a SKU or a stable product key) and, in the same transaction, release
    every order held for it; orders still held for something else stay held for that alone."""
    def attempt() -> order_events.Released:
        with c.uow() as uow:
            skumap.set_mappings(uow, code, [entry])
            released = order_events.release_for_key(uow, ChannelInfo.of(service.get_channel(uow, code)),
                                                    entry.channel_sku, actor)
            uow.commit()
            return released

    return orders.retrying(attempt)


# --- file imports ---------------------------------------------------------------------------------

def import_chunk(c: Container, channel_code: str, cmds: list[PlaceOrder], dry_run: bool) -> list[PlacementResult]:
    """One chunk of an order file: the whole chunk in one transaction (see orders.place_batch)."""
    for cmd in cmds:
        intake.prepare(MappedOrder(order=cmd))
    return orders.place_batch(c, cmds, channel_code, actor=f"import:{channel_code}", dry_run=dry_run)


# --- point of sale ----------------------------------------------------------------------------------

def record_sale(c: Container, cmd: PlaceOrder, store: str, actor: str) -> Any:
    """A sale at a store, in one transaction: placed from that store's stock (never waiting for
    any: the goods are on the counter), shipped in-store, delivered and completed."""
    def attempt() -> Any:
        with c.uow() as uow:
            if service.channel_info(uow, cmd.channel).type != "pos":
                raise ValidationFailed(f"channel {cmd.channel!r} is not a POS channel")
            location = resolve_location(uow, store)
            cmd.fulfil_from = location.code
            # Handed over at the counter: no fulfilment order to pick and pack.
            result, placed = orders.place_in(uow, cmd, c, actor, open_fulfilment=False)
            placement.take_stock(uow, placed)
            order_id = result.order.id
            if result.created:
                uow.flush()
                operations.ship_order(uow, order_id, location_id=location.id, carrier="in-store", actor=actor)
                operations.deliver_shipment(uow, order_id, None, actor)
                operations.complete_order(uow, order_id, actor)
            uow.commit()
        with c.reader() as uow:
            return get_order(uow, order_id)

    return orders.retrying(attempt)


# --- phone drafts -----------------------------------------------------------------------------------

def create_draft(c: Container, channel: ChannelInfo, currency: str, changes: dict[str, Any], *, actor: str,
                 idempotency: Idempotency[DraftOrder] | None = None) -> DraftOrder | Replayed:
    limits = _limits(c)
    return run(c.uow, lambda uow: drafts.create_draft(uow, channel, currency, changes, actor=actor, limits=limits),
               idempotency)


def update_draft(c: Container, draft_id: str, channel: ChannelInfo, changes: dict[str, Any]) -> DraftOrder:
    return run(c.uow, lambda uow: drafts.update_draft(uow, draft_id, channel, changes, _limits(c)))


def discard_draft(c: Container, draft_id: str, channel: ChannelInfo) -> DraftOrder:
    return run(c.uow, lambda uow: drafts.discard_draft(uow, draft_id, channel.id))


@dataclass(frozen=True, slots=True)
class Confirmed:
    order: Any
    created: bool


def confirm_draft(c: Container, draft_id: str, channel: ChannelInfo, *, actor: str,
                  idempotency: Idempotency[Any] | None = None) -> Confirmed | Replayed:
    """Place the draft as an order and link the two, in one transaction. Short of stock (under a
    reject policy) nothing is written and the draft stays a draft. Confirming again returns the order."""
    def attempt() -> Confirmed | Replayed:
        with c.uow() as uow:
            if (replayed := replay_of(uow, idempotency)) is not None:
                return replayed
            draft = drafts.load_draft(uow, draft_id, channel.id, for_update=True)
            if draft.status == DraftStatus.CONFIRMED:
                return Confirmed(get_order(uow, draft.order_id or ""), False)
            drafts.still_a_draft(draft)
            confirmed = _place_draft(uow, c, draft, channel, actor, idempotency)
            uow.commit()
            return confirmed

    return orders.retrying(attempt)


def _place_draft(uow: UnitOfWork, c: Container, draft: DraftOrder, channel: ChannelInfo, actor: str,
                 idempotency: Idempotency[Any] | None) -> Confirmed:
    cmd = drafts.to_command(draft.data, channel.code, external_id=draft.id)
    result, placed = orders.place_in(uow, cmd, c, actor)
    drafts.link_order(uow, draft, result.order.id, actor)
    store_response(uow, idempotency, result.order, 201 if result.created else 200)
    placement.take_stock(uow, placed)
    return Confirmed(result.order, result.created)


def _limits(c: Container) -> drafts.Limits:
    return drafts.Limits(max_lines=c.settings.max_order_lines, default_policy=c.settings.backorder_policy)


def channel_for(c: Container, code: str) -> ChannelInfo:
    """A channel by code (404 if unknown), active or not."""
    with c.reader() as uow:
        return ChannelInfo.of(service.get_channel(uow, code))

