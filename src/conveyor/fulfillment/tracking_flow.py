"""Tracking events in (API, webhook, CSV): stored once each, put on the order's timeline, and
moving shipped fulfilment orders on — `delivered` once every parcel has arrived (the order core
marks the shipment delivered, `deliver_shipment`), `exception` when a parcel is stuck or on
its way back — and flagging parcels late against their promised date."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from conveyor.fulfillment import service
from conveyor.fulfillment.model import FulfilmentOrder
from conveyor.fulfillment.states import FoStatus
from conveyor.messaging.outbox import Topic
from conveyor.orders import operations
from conveyor.orders.lifecycle import IllegalTransition
from conveyor.orders.timeline import EventType
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping import service as shipping
from conveyor.shipping.tracking_events import TrackingEvent, current_status, lateness
from conveyor.shipping.tracking_numbers import normalise

ON_THE_WAY = (FoStatus.SHIPPED, FoStatus.EXCEPTION)
STUCK = ("exception", "returned_to_sender")


@dataclass(slots=True)
class IngestResult:
    received: int = 0
    stored: int = 0
    unmatched: list[str] = field(default_factory=list)  # numbers of no shipped fulfilment order (kept anyway)
    delivered: list[str] = field(default_factory=list)  # fulfilment orders now delivered
    exceptions: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)


def _shipped_by_number(uow: UnitOfWork, numbers: set[str]) -> dict[str, set[str]]:
    """{fulfilment order id: its tracking numbers} for shipped fulfilment orders that carry any of
    `numbers` (on a label, or as the number a 3PL or a person recorded)."""
    labels = shipping.labels_by_tracking(uow, numbers)
    fo_ids = {label.fulfilment_order_id for label in labels.values()}
    fo_ids |= set(uow.session.scalars(select(FulfilmentOrder.id).where(FulfilmentOrder.tracking_number.in_(numbers))))
    result: dict[str, set[str]] = {fo_id: set() for fo_id in fo_ids}
    for label in shipping.labels_for(uow, fo_ids):
        result[label.fulfilment_order_id].add(label.tracking_number)
    for fo_id, number in uow.session.execute(select(FulfilmentOrder.id, FulfilmentOrder.tracking_number)
                                             .where(FulfilmentOrder.id.in_(fo_ids))):
        if number:
            result[fo_id].add(normalise(number))
    return result


def ingest(uow: UnitOfWork, events: Iterable[TrackingEvent], actor: str, now: datetime) -> IngestResult:
    events = list(events)
    result = IngestResult(received=len(events))
    new = shipping.store_events(uow, events)
    result.stored = len(new)
    if not new:
        return result
    numbers = {normalise(e.tracking_number) for e in new}
    owners = _shipped_by_number(uow, numbers)
    matched = set().union(*owners.values()) if owners else set()
    result.unmatched = sorted(numbers - matched)
    for fo_id, fo_numbers in sorted(owners.items()):
        fo = service.get(uow, fo_id, for_update=True)
        mine = [e for e in new if normalise(e.tracking_number) in fo_numbers]
        if mine and fo.status in (*ON_THE_WAY, FoStatus.DELIVERED):
            _advance(uow, fo, fo_numbers, mine, actor, now, result)
    return result


def _advance(uow: UnitOfWork, fo: FulfilmentOrder, numbers: set[str], new: list[TrackingEvent], actor: str,
             now: datetime, result: IngestResult) -> None:
    history = shipping.events_for(uow, numbers)
    service.announce(uow, fo, EventType.TRACKING_UPDATED, actor, {"events": [
        {"tracking_number": e.tracking_number, "status": e.status, "occurred_at": e.occurred_at.isoformat(),
         "description": e.description, "city": e.city} for e in new]}, Topic.TRACKING_UPDATED)
    per_parcel = {n: current_status([e for e in history if e.tracking_number == n]) for n in numbers}
    if fo.status in ON_THE_WAY and all(status == "delivered" for status in per_parcel.values()):
        _deliver(uow, fo, actor)
        result.delivered.append(fo.id)
    elif fo.status == FoStatus.SHIPPED and any(status in STUCK for status in per_parcel.values()):
        stuck = sorted(n for n, s in per_parcel.items() if s in STUCK)
        service.raise_exception(uow, fo, f"carrier reports {per_parcel[stuck[0]]} for {', '.join(stuck)}", actor)
        result.exceptions.append(fo.id)
    if _judge_lateness(uow, fo, history, actor, now):
        result.late.append(fo.id)


def _deliver(uow: UnitOfWork, fo: FulfilmentOrder, actor: str) -> None:
    if fo.status == FoStatus.EXCEPTION:
        fo.status_before_exception, fo.exception_reason = None, ""
    service.move(fo, FoStatus.DELIVERED, "deliver")
    service.announce(uow, fo, EventType.FULFILMENT_DELIVERED, actor, {"shipment_id": fo.shipment_id},
                     Topic.FULFILMENT_DELIVERED)
    if fo.shipment_id:
        with suppress(IllegalTransition):  # the shipment was already marked delivered by hand
            operations.deliver_shipment(uow, fo.order_id, fo.shipment_id, actor)


def _judge_lateness(uow: UnitOfWork, fo: FulfilmentOrder, history: list[TrackingEvent], actor: str,
                    now: datetime) -> bool:
    """Flag the fulfilment order late (once) when its parcels miss the promised date."""
    if fo.promised_date is None or fo.late:
        return False
    verdict = lateness(fo.promised_date, history, now)
    if not verdict.late:
        return False
    fo.late = True
    service.announce(uow, fo, EventType.SHIPMENT_LATE, actor, {
        "promised_date": fo.promised_date.isoformat(), "days_late": verdict.days_late, "reason": verdict.reason},
        Topic.SHIPMENT_LATE)
    return True


def flag_late(uow: UnitOfWork, now: datetime, actor: str, limit: int = 500) -> list[str]:
    """Shipped parcels whose promised date has passed without a delivery (the worker runs this)."""
    due = list(uow.session.scalars(select(FulfilmentOrder).where(
        FulfilmentOrder.status.in_(ON_THE_WAY), FulfilmentOrder.late.is_(False),
        FulfilmentOrder.promised_date.is_not(None), FulfilmentOrder.promised_date < now.date())
        .order_by(FulfilmentOrder.id).limit(limit)))
    flagged = []
    for fo in due:
        numbers = {label.tracking_number for label in shipping.labels_for(uow, [fo.id])}
        numbers |= {normalise(fo.tracking_number)} if fo.tracking_number else set()
        if _judge_lateness(uow, fo, shipping.events_for(uow, numbers), actor, now):
            flagged.append(fo.id)
    return flagged
