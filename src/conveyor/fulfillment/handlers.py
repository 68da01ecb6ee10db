"""Fulfilment use cases: each opens one unit of work, calls operations of fulfilment, shipping
and the order core, and commits exactly once. The API, the CLI, the worker and tests call these.

Buying and voiding labels talk to a carrier provider: the provider is called with no
transaction open (`dispatch` explains the split), everything else is one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from conveyor.bootstrap import Container
from conveyor.channels.secrets import Vault
from conveyor.fulfillment import dispatch, packing_flow, service, setup, tpl, tpl_webhook, tracking_flow, waves
from conveyor.fulfillment.model import FulfilmentOrder, FulfilmentSettings, Package, PickList
from conveyor.fulfillment.packing import ScanResult
from conveyor.fulfillment.picking import ShortPickReport
from conveyor.fulfillment.release_rules import Candidate, decide
from conveyor.fulfillment.states import FoStatus
from conveyor.inventory.locations import resolve_location
from conveyor.orders import operations, timeline
from conveyor.orders.handlers import routing_for
from conveyor.orders.lifecycle import IllegalTransition, Status
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.deadline import client as deadline_client
from conveyor.shared.deadline import total_deadline
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.handlers import Idempotency, Replayed, run
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping import service as shipping
from conveyor.shipping.adapters.base import CarrierAdapter
from conveyor.shipping.adapters.builtin import BuiltinCarrierAdapter
from conveyor.shipping.adapters.easypost import EasyPostAdapter
from conveyor.shipping.tracking_events import TrackingEvent
from conveyor.shipping.tracking_numbers import normalise


def carrier_adapter(c: Container, uow: UnitOfWork) -> CarrierAdapter:
    """The provider the settings choose: the built-in rate tables (default) or EasyPost."""
    if c.settings.shipping_provider == "easypost":
        if not c.settings.easypost_api_key:
            raise DomainError(ErrorCode.CARRIER_ERROR, "CONVEYOR_EASYPOST_API_KEY is not set")
        return EasyPostAdapter(c.settings.easypost_api_key)
    return BuiltinCarrierAdapter(shipping.carriers(uow), now=utcnow)


def _routing(uow: UnitOfWork):  # noqa: ANN202 - order → RoutingChoice
    return lambda order: routing_for(uow, order)


# --- fulfilment orders ----------------------------------------------------------------------------

def open_fulfilment_orders(c: Container, order_id: str, actor: str) -> list[FulfilmentOrder]:
    """By hand: bring the order's fulfilment orders in line with its allocations (normally
    automatic on every allocation change)."""
    def work(uow: UnitOfWork) -> list[FulfilmentOrder]:
        get_order(uow, order_id, for_update=True)
        service.reconcile_order(uow, order_id, actor)
        return service.for_order(uow, order_id)

    return run(c.uow, work)


def release_in(uow: UnitOfWork, fo: FulfilmentOrder, actor: str, reason: str) -> FulfilmentOrder:
    """Release, and hand a 3PL's fulfilment order over as a fulfilment request."""
    get_order(uow, fo.order_id, for_update=True)
    service.release(uow, fo, actor, reason)
    if tpl.is_3pl(uow, fo.location_id) and tpl.request_of(uow, fo.id) is None:
        tpl.request_fulfilment(uow, fo, actor)
    return fo


def release(c: Container, fo_id: str, actor: str) -> FulfilmentOrder:
    return run(c.uow, lambda uow: release_in(uow, service.get(uow, fo_id, for_update=True), actor, "by hand"))


def auto_release(c: Container, now: datetime | None = None, actor: str = "system:release") -> list[str]:
    """Release what each location's rules say is due (the worker calls this every few seconds);
    one transaction per location. Returns the released fulfilment order ids."""
    now = now or utcnow()
    with c.reader() as uow:
        locations = [s.location_id for s in setup.all_settings(uow) if s.release_mode != "manual"]
    released: list[str] = []
    for location_id in locations:
        released += run(c.uow, partial(_release_due, location_id=location_id, now=now, actor=actor))
    return released


def _release_due(uow: UnitOfWork, location_id: str, now: datetime, actor: str) -> list[str]:
    rules = setup.release_policy_of(setup.settings_for(uow, location_id))
    pending = service.list_fulfilment_orders(uow, location_id=location_id, status=FoStatus.PENDING, limit=200).items
    candidates = []
    for fo in pending:
        order = get_order(uow, fo.order_id)
        candidates.append(Candidate(fo.id, as_utc(fo.created_at), tuple(order.tags or ()), order.status == "on_hold"))
    due = [d for d in decide(rules, candidates, now) if d.release]
    for decision in due:
        release_in(uow, service.get(uow, decision.fulfilment_order_id), actor, decision.reason)
    return [d.fulfilment_order_id for d in due]


def unrelease(c: Container, fo_id: str, actor: str) -> FulfilmentOrder:
    return run(c.uow, lambda uow: service.unrelease(uow, service.get(uow, fo_id, for_update=True), actor))


def flag_exception(c: Container, fo_id: str, reason: str, actor: str) -> FulfilmentOrder:
    return run(c.uow, lambda uow: service.raise_exception(uow, service.get(uow, fo_id, for_update=True), reason,
                                                          actor))


def resolve_exception(c: Container, fo_id: str, note: str, actor: str) -> FulfilmentOrder:
    return run(c.uow, lambda uow: service.resolve_exception(uow, service.get(uow, fo_id, for_update=True), actor,
                                                            note))


# --- picking --------------------------------------------------------------------------------------

def create_pick_lists(c: Container, location: str, actor: str, *, fulfilment_orders: Sequence[str] | None = None,
                      max_orders: int = 20, max_units: int | None = None,
                      idempotency: Idempotency[list[PickList]] | None = None) -> list[PickList] | Replayed:
    def work(uow: UnitOfWork) -> list[PickList]:
        return waves.create_pick_lists(uow, resolve_location(uow, location).id, actor,
                                       fulfilment_orders=fulfilment_orders, max_orders=max_orders,
                                       max_units=max_units)

    return run(c.uow, work, idempotency)


def confirm_picks(c: Container, pick_list_id: str, picked: Mapping[tuple[str, str], int] | None,
                  actor: str) -> ShortPickReport:
    return run(c.uow, lambda uow: waves.confirm_picks(uow, pick_list_id, picked, actor, _routing(uow)))


# --- packing --------------------------------------------------------------------------------------

def scan(c: Container, fo_id: str, code: str, actor: str) -> ScanResult:
    return run(c.uow, lambda uow: packing_flow.scan(uow, service.get(uow, fo_id, for_update=True), code, actor))


def unpack(c: Container, fo_id: str, line_id: str, actor: str) -> FulfilmentOrder:
    def work(uow: UnitOfWork) -> FulfilmentOrder:
        fo = service.get(uow, fo_id, for_update=True)
        packing_flow.unpack(uow, fo, line_id)
        return fo

    return run(c.uow, work)


def close_package(c: Container, fo_id: str, actor: str, **measures: Any) -> Package:
    return run(c.uow, lambda uow: packing_flow.close_package(uow, service.get(uow, fo_id, for_update=True), actor,
                                                             **measures))


def reopen(c: Container, fo_id: str, actor: str) -> FulfilmentOrder:
    def work(uow: UnitOfWork) -> FulfilmentOrder:
        fo = service.get(uow, fo_id, for_update=True)
        if shipping.labels_for(uow, [fo.id]):
            raise DomainError(ErrorCode.CONFLICT, "void its labels before reopening the fulfilment order")
        return packing_flow.reopen(uow, fo, actor)

    return run(c.uow, work)


# --- labels and shipping --------------------------------------------------------------------------

def rate_options(c: Container, fo_id: str, adapter: CarrierAdapter | None = None) -> list[dispatch.RateOption]:
    with c.reader() as uow:
        plan = dispatch.plan_purchase(uow, service.get(uow, fo_id))
        adapter = adapter or carrier_adapter(c, uow)
    return dispatch.rate_options(adapter, plan)


def buy_labels(c: Container, fo_id: str, actor: str, carrier: str | None = None, service_code: str | None = None,
               adapter: CarrierAdapter | None = None) -> list[Any]:
    """Buy a label for every closed package (the named service, else the cheapest meeting the
    promise). If storing them fails, the labels just bought are voided."""
    with c.reader() as uow:
        plan = dispatch.plan_purchase(uow, service.get(uow, fo_id))
        adapter = adapter or carrier_adapter(c, uow)
    bought = dispatch.buy(adapter, plan, carrier, service_code)
    try:
        return run(c.uow, lambda uow: dispatch.record_purchase(uow, service.get(uow, fo_id, for_update=True), bought,
                                                               actor))
    except Exception:
        for done in bought:
            adapter.void(done.label)
        raise


def void_label(c: Container, label_id: str, actor: str, adapter: CarrierAdapter | None = None) -> Any:
    with c.reader() as uow:
        label = shipping.get_label(uow, label_id)
        dispatch.check_voidable(uow, label)
        purchased = shipping.as_purchased(label)
        adapter = adapter or carrier_adapter(c, uow)
    result = adapter.void(purchased)
    if not result.accepted:
        raise DomainError(ErrorCode.CARRIER_ERROR, f"the carrier refused to void the label: {result.message}",
                          void_status=result.status)

    def work(uow: UnitOfWork) -> Any:
        label = shipping.get_label(uow, label_id)
        dispatch.record_void(uow, label, result.status, actor)
        return label

    return run(c.uow, work)


def ship(c: Container, fo_id: str, actor: str,
         idempotency: Idempotency[FulfilmentOrder] | None = None) -> FulfilmentOrder | Replayed:
    return run(c.uow, lambda uow: dispatch.ship(uow, service.get(uow, fo_id, for_update=True), actor), idempotency)


def record_manual_shipment(c: Container, order_id: str, *, location: str, lines: Mapping[str, int] | None,
                           carrier: str, tracking_number: str, override_reason: str | None, actor: str,
                           scope_channel_id: str | None = None,
                           idempotency: Idempotency[Any] | None = None) -> Any:
    """`POST /orders/{id}/shipments`: a shipment typed in by hand, checked (carrier, tracking
    number and its check digit, shipping address — or an override with a reason), recorded by
    the order core, and the fulfilment orders it empties marked shipped."""
    def work(uow: UnitOfWork) -> Any:
        order = get_order(uow, order_id, scope_channel_id, for_update=True)
        if order.status not in operations.SHIPPABLE:  # the order's state first: it says more than a field
            raise IllegalTransition(order.status, Status.FULFILLED, "ship")
        dispatch.check_manual_shipment(order, carrier, tracking_number, override_reason)
        location_id = resolve_location(uow, location).id
        shipment = operations.ship_order(uow, order_id, location_id=location_id, lines=lines, carrier=carrier,
                                         tracking_number=normalise(tracking_number), actor=actor,
                                         scope_channel_id=scope_channel_id)
        if (override_reason or "").strip():
            timeline.append(uow, order_id, EventType.NOTE_ADDED, {
                "text": f"shipment {shipment.id} recorded with an override: {override_reason}"}, actor)
        for fo in service.reconcile_order(uow, order_id, actor, shipment_id=shipment.id):
            if fo.shipment_id == shipment.id:
                fo.carrier, fo.tracking_number = carrier, shipment.tracking_number
        return shipment

    return run(c.uow, work, idempotency)


# --- tracking -------------------------------------------------------------------------------------

def ingest_tracking(c: Container, events: Sequence[TrackingEvent], actor: str,
                    now: datetime | None = None) -> tracking_flow.IngestResult:
    return run(c.uow, lambda uow: tracking_flow.ingest(uow, events, actor, now or utcnow()))


def flag_late(c: Container, now: datetime | None = None, actor: str = "system:tracking") -> list[str]:
    return run(c.uow, lambda uow: tracking_flow.flag_late(uow, now or utcnow(), actor))


# --- 3PL ------------------------------------------------------------------------------------------

def confirm_3pl_shipment(c: Container, request_id: str, external_ref: str, *, carrier: str, tracking_number: str,
                         shipped: Mapping[str, int] | None, actor: str, raw: dict[str, Any] | None = None) -> Any:
    return run(c.uow, lambda uow: tpl.confirm_shipment(
        uow, request_id, external_ref, carrier=carrier, tracking_number=tracking_number, shipped=shipped,
        actor=actor, routing_for=_routing(uow), raw=raw))


def record_3pl_snapshot(c: Container, location: str, taken_at: datetime, counts: Mapping[str, int], actor: str,
                        complete: bool = True) -> Any:
    return run(c.uow, lambda uow: tpl.record_snapshot(uow, resolve_location(uow, location).id, taken_at, counts,
                                                      actor, complete))


def resolve_discrepancy(c: Container, discrepancy_id: str, action: str, note: str, actor: str) -> Any:
    return run(c.uow, lambda uow: tpl.resolve_discrepancy(uow, discrepancy_id, action, note, actor))


# --- set-up ---------------------------------------------------------------------------------------

def put_location_settings(c: Container, location: str, changes: Mapping[str, Any],
                          webhook_secret: str | None = None) -> FulfilmentSettings:
    sealed = Vault.from_settings(c.settings).seal({"webhook_secret": webhook_secret}) if webhook_secret else None
    return run(c.uow, lambda uow: setup.put_settings(uow, resolve_location(uow, location).id, changes, sealed))


def webhook_secret(c: Container, settings: FulfilmentSettings) -> str:
    return Vault.from_settings(c.settings).open(settings.webhook_secret_encrypted).get("webhook_secret", "")


def deliver_request(c: Container, message_id: str, payload: dict[str, Any], client: Any = None) -> bool:
    """The worker's half of a `fulfilment.requested` message: POST it, signed, to the 3PL's
    webhook. A 3PL without a webhook takes the CSV export instead (nothing to send: False)."""
    with c.reader() as uow:
        settings = setup.settings_for(uow, payload["location_id"])
    if not settings.webhook_url:
        return False
    s, secret = c.settings, webhook_secret(c, settings)
    # A connect timeout and a total deadline (shared/deadline.py): a 3PL that trickles its answer
    # cannot hold the worker's pass.
    with total_deadline(s.outbound_total_timeout_seconds):
        if client is not None:
            tpl_webhook.deliver(settings.webhook_url, secret, message_id, payload, client)
            return True
        with deadline_client(s.outbound_connect_timeout_seconds, s.outbound_total_timeout_seconds) as http:
            tpl_webhook.deliver(settings.webhook_url, secret, message_id, payload, http)
    return True


def assign_bins(c: Container, location: str, assignments: Mapping[str, str]) -> int:
    return run(c.uow, lambda uow: setup.assign_bins(uow, resolve_location(uow, location).id, assignments))


def put_box(c: Container, data: setup.BoxData) -> Any:
    return run(c.uow, lambda uow: setup.put_box(uow, data))


def put_carrier(c: Container, document: dict[str, Any], active: bool = True) -> Any:
    return run(c.uow, lambda uow: shipping.put_carrier(uow, document, active))


def seed_demo_carriers(c: Container) -> list[str]:
    return run(c.uow, shipping.seed_demo_carriers)
