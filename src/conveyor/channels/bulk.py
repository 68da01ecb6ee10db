"""Bulk placement for imports: a batch of orders in a handful of statements, not a handful each.

The per-order hot path (`orders.placement`) reads the catalog and the stock snapshot and
writes its rows once per order, which caps a file import at a few hundred orders a second.
Here one batch reads SKUs and stock once, routes every order in memory against a running copy
of the snapshot (each order sees the stock the previous ones took), writes all rows with one
multi-row insert per table and takes all stock with ONE guarded allocation UPDATE. If that
UPDATE finds less stock than the snapshot promised (someone else allocated meanwhile), it
raises `LostRace` and the caller redoes the batch order by order through `place_order`.
Semantics match channel intake: short stock under a reject policy holds the order.
"""

from __future__ import annotations

import base64
import os
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from conveyor.channels.model import Channel
from conveyor.inventory.allocation import allocate_many, allocation_ledger, read_snapshot
from conveyor.inventory.ledger import write_ledger
from conveyor.messaging.model import OutboxMessage
from conveyor.orders import routing_bridge as bridge
from conveyor.orders import routing_store
from conveyor.orders.commands import PlaceOrder
from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Allocation, Order, OrderEvent, OrderLine
from conveyor.orders.placement import destination_of, draft_rows
from conveyor.orders.validation import validate_command
from conveyor.routing.model import Candidate, RoutingRequest
from conveyor.routing.rules import RoutingConfig, plan_order
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import UnitOfWork, insert_rows
from conveyor.shared.errors import DomainError

_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz")


class _Ids:
    """`shared.ids.new_id`'s format, made in bulk: generating ids one by one was the largest
    cost of a batch. The time part is taken once per batch (ids of one batch share it, as ids
    made within one millisecond do anyway); the random part is base32 of 10 random bytes."""

    def __init__(self) -> None:
        self.stamp = ids.new_id("order")[4:14]

    def new(self, kind: str) -> str:
        return f"{ids.PREFIXES[kind]}_{self.stamp}{base64.b32encode(os.urandom(10)).translate(_CROCKFORD).decode()}"


class LostRace(Exception):
    """The guarded UPDATE found less stock than the batch's snapshot."""


@dataclass(slots=True)
class BatchResult:
    created: int = 0
    held: int = 0
    existing: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Rows:
    orders: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    allocations: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    outbox: list[dict] = field(default_factory=list)
    ledger: list = field(default_factory=list)
    taken: dict = field(default_factory=lambda: defaultdict(int))
    ids: _Ids = field(default_factory=_Ids)


def place_batch(uow: UnitOfWork, cmds: list[PlaceOrder], channel: Channel, *, default_policy: str,
                max_lines: int, actor: str) -> BatchResult:
    """Place `cmds` (all of `channel`) in the caller's transaction; the caller commits."""
    result = BatchResult()
    known = set(uow.session.scalars(select(Order.external_id).where(
        Order.channel_id == channel.id, Order.external_id.in_([c.external_id for c in cmds if c.external_id]))))
    skus = bridge.load_skus(uow, sorted({li.sku for c in cmds for li in c.lines}))
    candidates = _candidates(uow, skus)
    rows, now = _Rows(), utcnow()
    # The same routing as every other order: the stored configuration (rules, strategy, costs).
    policy = channel.backorder_policy or default_policy
    strategy = bridge.channel_config(routing_store.load(uow), channel.code, channel.routing_strategy)
    for cmd in cmds:
        if cmd.external_id in known:
            result.existing += 1
            continue
        try:
            validate_command(cmd, max_lines)
            bridge.check_skus([li.sku for li in cmd.lines if cmd.hold_reason is None or li.sku in skus], skus)
            _one(cmd, channel.id, skus, candidates, policy, strategy, rows, now)
        except DomainError as exc:
            result.refused.append((cmd.external_id or "", exc.detail))
            continue
        known.add(cmd.external_id)
        result.created += 1
        result.held += rows.orders[-1]["status"] == Status.ON_HOLD
    _write(uow, rows, actor)
    return result


def _candidates(uow: UnitOfWork, skus: dict[str, bridge.SkuInfo]) -> list[Candidate]:
    """One snapshot for the whole batch; each candidate's `available` is a private copy that the
    batch decrements as it books orders, so later orders see what earlier ones took."""
    locations, atp = read_snapshot(uow, {c.sku_id for s in skus.values() for c in s.components})
    profiles = bridge.routing_profiles(uow)
    return [bridge.make_candidate(loc.location_id, loc.code, loc.priority, loc.latitude, loc.longitude, loc.type,
                                  loc.can_ship, dict(atp.get(loc.location_id, {})),
                                  profiles.get(loc.location_id, {}))
            for loc in locations.values()]


def _one(cmd: PlaceOrder, channel_id: str, skus: dict, candidates: list[Candidate], policy: str,
         config: RoutingConfig, rows: _Rows, now) -> None:
    draft = draft_rows(cmd, channel_id, skus, rows.ids.new, now)
    order, lines, request = draft.order, draft.lines, draft.request_lines
    order_id = order["id"]
    plan = None
    if cmd.hold_reason is None:
        usable = [c for c in candidates if cmd.fulfil_from in (None, c.code)]
        plan = plan_order(RoutingRequest(lines=request, destination=destination_of(cmd), channel=cmd.channel),
                          usable, config)
        if plan.short and policy == "reject":
            order["hold_reason"], plan = "insufficient_stock: not enough stock when imported", None
        elif plan.fallback == "unfillable":
            order["hold_reason"] = "unfillable"  # parked for a person, nothing allocated
    if plan is not None and not order["hold_reason"]:
        _take(plan, request, lines, order, candidates, rows)
    if order["hold_reason"]:
        order["status"], order["held_from"] = Status.ON_HOLD, Status.PENDING
    rows.orders.append(order)
    rows.lines += lines
    rows.events.append({"id": rows.ids.new("event"), "order_id": order_id, "type": "order.placed", "actor": "",
                        "data": {"status": order["status"], "hold_reason": order["hold_reason"],
                                 "routing": plan.explanation() if plan else None}, "created_at": now})
    rows.outbox.append({"id": rows.ids.new("outbox"), "topic": "order.created", "key": order_id, "status": "pending",
                        "attempts": 0, "last_error": "", "created_at": now, "available_at": now,
                        "payload": {"order_id": order_id, "channel_id": channel_id, "external_id": cmd.external_id,
                                    "status": order["status"], "total_minor": order["total_minor"],
                                    "currency": cmd.currency}})


def _take(plan, request, lines, order, candidates, rows: _Rows) -> None:
    """Book the plan: line buckets, allocation rows, and stock taken from the running snapshot."""
    by_location = {c.location_id: c for c in candidates}
    wanted = bridge.component_totals(plan, request)
    for (sku_id, location_id), units in wanted.items():
        by_location[location_id].available[sku_id] -= units
        rows.taken[(sku_id, location_id)] += units
    rows.allocations += bridge.allocation_rows(plan, request, order["id"], order["created_at"])
    allocated = bridge.line_units(plan, request)
    for line in lines:
        line["allocated"] = allocated.get(line["id"], 0)
        line["backordered"] = line["quantity"] - line["allocated"] if line["sku_id"] else 0
    order["status"] = Status.BACKORDERED if plan.short else Status.ALLOCATED
    rows.ledger += allocation_ledger(wanted, order["id"])


def _write(uow: UnitOfWork, rows: _Rows, actor: str) -> None:
    if not rows.orders:
        return
    for event in rows.events:
        event["actor"] = actor
    for table, data in ((Order, rows.orders), (OrderLine, rows.lines), (Allocation, rows.allocations),
                        (OrderEvent, rows.events)):
        insert_rows(uow.session, table.__table__, data)
    if rows.ledger:
        write_ledger(uow, rows.ledger, actor, extra_outbox=rows.outbox)
    else:
        insert_rows(uow.session, OutboxMessage.__table__, rows.outbox)
    if rows.taken and allocate_many(uow, dict(rows.taken)) != set(rows.taken):
        raise LostRace
