"""Placing orders: the one engine behind every source (REST, webhooks, polls, CSV imports, POS,
phone drafts). One order is a batch of one, so a file import and a single order share every rule.

    placement = place(uow, cmds, terms, options)   # read, route, write rows — stock not taken yet
    …store the idempotent response…                 # (the handler's business)
    take_stock(uow, placement)                      # ONE guarded multi-row UPDATE, last
    uow.commit()                                    # (the handler's business)

Statements for one order: read SKUs (cached, usually none) → read the stock snapshot → insert the
order (ON CONFLICT on the channel's external id) and multi-row inserts of its lines and allocations
(one statement on PostgreSQL) → one flush of the deferred rows (ledger, timeline, outbox, fulfilment
orders; one statement on PostgreSQL, one INSERT each on SQLite) → the guarded UPDATE.
The UPDATE comes last so that hot stock rows stay locked only for it and the commit. If it changes
fewer rows than the plan needs, someone got there first: `LostRace`, and the handler runs the whole
transaction again on a fresh snapshot.

A batch reads SKUs and stock once and routes each order against a running copy of the snapshot
(each order sees what earlier ones took); all rows of the batch go in one statement per table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from conveyor.catalog.service import SkuFacts, sku_facts
from conveyor.inventory.allocation import allocate_many, allocation_ledger
from conveyor.inventory.ledger import InsufficientStock, StockChange, write_ledger
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders import routing_bridge as bridge
from conveyor.orders import timeline
from conveyor.orders.addresses import address_key
from conveyor.orders.commands import ChannelTerms, OnShort, PlacementOptions, PlaceOrder
from conveyor.orders.lifecycle import Buckets, Status, derive_status
from conveyor.orders.model import Allocation, Order, OrderLine
from conveyor.orders.timeline import EventType
from conveyor.orders.validation import totals, validate_command
from conveyor.routing.model import Candidate, Destination, Plan, RequestLine, RoutingRequest
from conveyor.routing.rules import RoutingConfig, plan_order
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import DomainError
from conveyor.shared.languages import order_language
from conveyor.shared.metrics import ALLOCATION_FAILURES, ORDERS_PLACED
from conveyor.shared.sql import driver_execute, driver_sql, insert_rows, insert_tables, insert_unique_with
from conveyor.shared.uow import UnitOfWork

DEADLOCK = "40P01"  # PostgreSQL's deadlock_detected


class LostRace(Exception):
    """The guarded UPDATE found less stock than the snapshot promised: run the transaction again."""


@dataclass(slots=True)
class PlacementResult:
    order: Any  # the order (an Order, or a read-only view with its attributes); None if refused
    created: bool
    external_id: str | None = None
    refused: str | None = None  # why the order was refused (batches collect refusals)


@dataclass(slots=True)
class _Draft:
    """Everything placement decided about one order, as rows ready for multi-row inserts."""
    order: dict[str, Any]
    lines: list[dict[str, Any]]
    request: tuple[RequestLine, ...]
    plan: Plan | None = None
    taken: dict[tuple[str, str], int] = field(default_factory=dict)
    allocations: list[dict[str, Any]] = field(default_factory=list)
    # Its "placed" timeline row and "order.created" message, made while deciding (before any write
    # transaction: a batch holds the write lock only to write).
    event: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Placement:
    results: list[PlacementResult] = field(default_factory=list)
    taken: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    @property
    def created(self) -> list[PlacementResult]:
        return [r for r in self.results if r.created]


def place(uow: UnitOfWork, cmds: list[PlaceOrder], terms: ChannelTerms, options: PlacementOptions) -> Placement:
    """Route and write `cmds` (all for one channel); the caller then calls `take_stock`."""
    return write(uow, decide(uow, cmds, terms, options), terms, options)


@dataclass(slots=True)
class Decided:
    """A batch routed and turned into rows, nothing written yet (see `decide`)."""
    placement: Placement  # the orders skipped (sent before) or refused so far
    drafts: list[_Draft]

    def taken(self) -> dict[tuple[str, str], int]:
        """Units the batch's plans take, per (component sku, location)."""
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for draft in self.drafts:
            for key, units in draft.taken.items():
                totals[key] += units
        return totals


def decide(uow: UnitOfWork, cmds: list[PlaceOrder], terms: ChannelTerms, options: PlacementOptions,
           stock: bridge.StockView | None = None) -> Decided:
    """Read what routing needs and decide every order of `cmds`: reads only, so a batch may decide
    in a read transaction and `write` in a short write transaction after it. Stock taken by others
    in between makes `take_stock` find less than planned (`LostRace`); an external id placed in
    between makes the insert fail (IntegrityError): the caller runs the batch again either way.
    `stock`: a snapshot read already (for several batches decided one after another), used when it
    covers the batch's SKUs, instead of reading one."""
    placement, known = Placement(), _known_external_ids(uow, cmds, terms) if len(cmds) > 1 else set()
    wanted = [cmd for cmd in cmds if not _skip_known(cmd, known, placement)]
    skus = sku_facts(uow, sorted({li.sku for cmd in wanted for li in cmd.lines}))
    world = _World.read(uow, skus, wanted, terms, stock)
    drafts = []
    for cmd in wanted:
        try:
            drafts.append(_decide(cmd, terms, options, skus, world))
        except DomainError as exc:
            if not options.collect_refusals:
                raise
            placement.results.append(PlacementResult(None, False, cmd.external_id, exc.detail))
    return Decided(placement, drafts)


def write(uow: UnitOfWork, decided: Decided, terms: ChannelTerms, options: PlacementOptions,
          checked: bool = False) -> Placement:
    """Write the rows of a decided batch; the caller then calls `take_stock`. `checked`: the caller
    has made sure the channel never sent these orders before (`sent_before`), so their rows join
    the transaction's deferred inserts (one statement with everyone else's at `take_stock`)."""
    placement = decided.placement
    _write(uow, decided.drafts, terms, options, placement, checked)
    if created := len(placement.created):
        uow.after_commit(lambda: ORDERS_PLACED.inc(created))
    return placement


def take_stock(uow: UnitOfWork, placement: Placement) -> None:
    """Take every allocation of the placement in one guarded UPDATE (last, see the module doc)."""
    if not placement.taken:
        return
    uow.flush()  # every deferred row leaves now, before the stock UPDATE
    try:
        taken = allocate_many(uow, dict(placement.taken))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK:  # hot-SKU fallbacks may meet: run again
            raise LostRace from exc
        raise
    if taken != set(placement.taken):
        raise LostRace


def _known_external_ids(uow: UnitOfWork, cmds: list[PlaceOrder], terms: ChannelTerms) -> set[str]:
    external = [c.external_id for c in cmds if c.external_id]
    if not external:
        return set()
    return set(uow.session.scalars(select(Order.external_id).where(
        Order.channel_id == terms.channel_id, Order.external_id.in_(external))))


def _skip_known(cmd: PlaceOrder, known: set[str], placement: Placement) -> bool:
    """A batch skips orders the channel already sent (and repeats within the batch)."""
    if cmd.external_id is None:
        return False
    if cmd.external_id in known:
        placement.results.append(PlacementResult(None, False, cmd.external_id))
        return True
    known.add(cmd.external_id)
    return False


@dataclass(slots=True)
class _World:
    """What routing sees for a batch: candidates with running availability, and the rules."""
    candidates: list[Candidate]
    config: RoutingConfig | None
    now: datetime

    @classmethod
    def read(cls, uow: UnitOfWork, skus: Mapping[str, SkuFacts], cmds: list[PlaceOrder],
             terms: ChannelTerms, stock: bridge.StockView | None = None) -> _World:
        if not any(cmd.hold_reason is None for cmd in cmds):
            return cls([], None, utcnow())
        sku_ids = {part for facts in skus.values() for part, _ in facts.components}
        candidates = (stock.candidates_for(sku_ids) if stock is not None and stock.covers(sku_ids)
                      else bridge.snapshot_candidates(uow, sku_ids))
        return cls(candidates,
                   bridge.channel_config(uow, terms.code, terms.routing_strategy), utcnow())


def _decide(cmd: PlaceOrder, terms: ChannelTerms, options: PlacementOptions, skus: Mapping[str, SkuFacts],
            world: _World) -> _Draft:
    """Validate, build the rows, route, and settle the buckets and status of one order."""
    validate_command(cmd, options.max_lines)
    # A held order may carry channel SKUs not mapped yet: those lines are stored with sku_id NULL.
    bridge.check_skus([li.sku for li in cmd.lines if cmd.hold_reason is None or li.sku in skus], skus)
    draft = draft_rows(cmd, terms.channel_id, skus, world.now)
    if cmd.hold_reason is None:
        assert world.config is not None
        draft.plan = _route(cmd, draft, world)
        _apply_plan(draft, cmd, options, skus, world)
    draft.event, draft.message = _placed_event(draft, options.actor), _created_message(draft)
    return draft


def _route(cmd: PlaceOrder, draft: _Draft, world: _World) -> Plan:
    usable = [c for c in world.candidates if cmd.fulfil_from in (None, c.code, c.location_id)]
    request = RoutingRequest(lines=draft.request, destination=destination_of(cmd), channel=cmd.channel)
    assert world.config is not None
    config = world.config
    if cmd.routing_strategy:  # this order's own strategy replaces its channel's
        entry = config.channels.get(cmd.channel, config.default)
        config = replace(config, channels={**config.channels,
                                           cmd.channel: replace(entry, strategy=cmd.routing_strategy)})
    return plan_order(request, usable, config)


def _apply_plan(draft: _Draft, cmd: PlaceOrder, options: PlacementOptions, skus: Mapping[str, SkuFacts],
                world: _World) -> None:
    plan = draft.plan
    assert plan is not None
    if plan.short and options.on_short != OnShort.BACKORDER:
        detail = _short_detail(plan, draft.request, skus)
        ALLOCATION_FAILURES.labels("refused" if options.on_short == OnShort.REFUSE else "held").inc()
        if options.on_short == OnShort.REFUSE:
            raise InsufficientStock(f"not enough stock for {detail}",
                                    bridge.shortages(plan, draft.request, _codes(skus)))
        return _hold(draft, f"insufficient_stock: not enough stock for {detail}"[:200])
    if plan.fallback == "unfillable":
        return _hold(draft, "unfillable")  # the rules say no location may fill it now: a person decides
    draft.taken = bridge.component_totals(plan, draft.request)
    bridge.take_from(world.candidates, draft.taken)
    if draft.taken:
        draft.allocations = bridge.allocation_rows(plan, draft.request, draft.order["id"], draft.order["created_at"])
    allocated = bridge.line_units(plan, draft.request)
    for line in draft.lines:
        line["allocated"] = allocated.get(line["id"], 0)
        line["backordered"] = line["quantity"] - line["allocated"]
    draft.order["status"] = derive_status(Buckets(li["quantity"], li["allocated"], li["backordered"])
                                          for li in draft.lines)
    return None


def _hold(draft: _Draft, reason: str) -> None:
    draft.order.update(status=Status.ON_HOLD, held_from=Status.PENDING, hold_reason=reason)


def _short_detail(plan: Plan, request: tuple[RequestLine, ...], skus: Mapping[str, SkuFacts]) -> str:
    short = bridge.shortages(plan, request, _codes(skus))
    return ", ".join(f"{s['sku']} (short {s['short']} of {s['requested']})" for s in short)


def _codes(skus: Mapping[str, SkuFacts]) -> dict[str, str]:
    return {s.id: s.code for s in skus.values()}


def destination_of(cmd: PlaceOrder) -> Destination:
    a = cmd.shipping_address
    if a is None:
        return Destination()
    return Destination(country=a.country or "US", postal_code=a.postal_code, region=a.region,
                       latitude=a.latitude, longitude=a.longitude)


def draft_rows(cmd: PlaceOrder, channel_id: str, skus: Mapping[str, SkuFacts], now: datetime,
               new_id: Callable[[str], str] = ids.new_id) -> _Draft:
    """The order and line rows of `cmd`, status pending (or on hold when the command says so)."""
    order_id = new_id("order")
    order = {
        "id": order_id, "channel_id": channel_id, "external_id": cmd.external_id,
        "order_number": cmd.order_number, "channel_totals": cmd.channel_totals, "channel_payment": cmd.channel_payment,
        "status": Status.ON_HOLD if cmd.hold_reason else Status.PENDING,
        "held_from": Status.PENDING if cmd.hold_reason else None, "hold_reason": cmd.hold_reason,
        "currency": cmd.currency, "customer_name": cmd.customer_name, "customer_email": cmd.customer_email,
        "customer_phone": cmd.customer_phone,
        "billing_address": cmd.billing_address.as_dict() if cmd.billing_address else None,
        "shipping_address": cmd.shipping_address.as_dict() if cmd.shipping_address else None,
        "notes": cmd.notes, "tags": list(cmd.tags), "created_at": now, "updated_at": now, **totals(cmd),
        "locale": order_language(cmd.locale), "priority": cmd.priority, "preferred_carrier": cmd.preferred_carrier,
        "preferred_service": cmd.preferred_service, "hold_until": None,
        "ship_to_key": address_key(cmd.shipping_address) if cmd.shipping_address else None,
    }
    lines, request = [], []
    for number, li in enumerate(cmd.lines, start=1):
        sku = skus.get(li.sku)  # None only on a held order (see _decide)
        line_id = new_id("line")
        lines.append({
            "id": line_id, "order_id": order_id, "line_no": number, "sku_id": sku.id if sku else None,
            "sku_code": sku.code if sku else li.sku, "name": li.name or (sku.name if sku else ""),
            "platform_line_id": li.platform_line_id,
            "quantity": li.quantity, "unit_price_minor": li.unit_price_minor,
            "discount_minor": li.discount_minor, "tax_minor": li.tax_minor,
            "total_minor": li.unit_price_minor * li.quantity - li.discount_minor + li.tax_minor,
            "allocated": 0, "backordered": 0, "shipped": 0, "delivered": 0, "cancelled": 0, "returned": 0,
        })
        if sku:
            request.append(bridge.request_line(line_id, sku, li.quantity, li.unit_price_minor))
    return _Draft(order, lines, tuple(request))


def _write(uow: UnitOfWork, drafts: list[_Draft], terms: ChannelTerms, options: PlacementOptions,
           placement: Placement, checked: bool = False) -> None:
    """Insert the orders with their lines and allocations (a lone order: ON CONFLICT finds the
    channel's repeat, and nothing of it is written), then queue the rest."""
    if not drafts:
        return
    # Lines and their allocations are written now, not deferred: what runs after placement in the
    # same transaction may read them. On PostgreSQL with the order in one statement. Unless the
    # caller knows what runs after reads none of them (`checked`, handlers.place_together).
    lines_and_allocations = [(table_of(OrderLine), [line for d in drafts for line in d.lines]),
                             (table_of(Allocation), [row for d in drafts for row in d.allocations])]
    if checked:
        for table, rows in [(table_of(Order), [d.order for d in drafts]), *lines_and_allocations]:
            uow.defer_insert(table, rows)
    elif len(drafts) == 1 and drafts[0].order["external_id"] is not None:
        if not insert_unique_with(uow.session, Order.__table__, drafts[0].order, ["channel_id", "external_id"],
                                  lines_and_allocations):
            external_id = drafts[0].order["external_id"]
            placement.results.append(PlacementResult(existing_order(uow, terms.channel_id, external_id), False,
                                                     external_id))
            return
    else:
        insert_rows(uow.session, Order.__table__, [d.order for d in drafts])
        insert_tables(uow.session, lines_and_allocations)
    ledger: list[StockChange] = []
    for d in drafts:
        if d.taken:
            ledger += allocation_ledger(d.taken, d.order["id"])
            for key, units in d.taken.items():
                placement.taken[key] += units
        placement.results.append(PlacementResult(_view(d), True, d.order["external_id"]))
    write_ledger(uow, ledger, options.actor)
    timeline.append_rows(uow, [d.event for d in drafts])
    outbox.enqueue_rows(uow, [d.message for d in drafts])
    # The timeline rows and messages stay deferred until `take_stock`: what the caller adds meanwhile
    # (fulfilment orders' timeline rows, automation's) leaves in the same multi-row INSERTs.


def existing_order(uow: UnitOfWork, channel_id: str, external_id: str) -> Order | None:
    return uow.session.scalar(select(Order).where(Order.channel_id == channel_id, Order.external_id == external_id))


def sent_before(uow: UnitOfWork, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (channel id, external id) pairs have an order already: one read for a batch."""
    if not keys:
        return set()
    externals = sorted({external for _, external in keys})
    sql = driver_sql(uow.dialect, f"sent-before-{len(externals)}", lambda mark: (
        f"SELECT channel_id, external_id FROM orders WHERE external_id IN ({', '.join([mark] * len(externals))})"))
    rows = driver_execute(uow.session.connection(), sql, externals)
    return {(channel, external) for channel, external in rows if (channel, external) in keys}


def _placed_event(draft: _Draft, actor: str) -> dict[str, Any]:
    o = draft.order
    return timeline.event_row(o["id"], EventType.PLACED, {
        "status": o["status"], "hold_reason": o["hold_reason"],
        "routing": draft.plan.explanation() if draft.plan else None}, actor, o["created_at"])


def _created_message(draft: _Draft) -> dict[str, Any]:
    o = draft.order
    return outbox.message_row(Topic.ORDER_CREATED, o["id"], {
        "order_id": o["id"], "channel_id": o["channel_id"], "external_id": o["external_id"],
        "status": o["status"], "total_minor": o["total_minor"], "currency": o["currency"]}, o["created_at"])


def _view(draft: _Draft) -> SimpleNamespace:
    """A read-only view of the order (same attributes as an Order) built from the rows just
    written: no re-read, and ~10x cheaper than constructing ORM instances on the hot path."""
    return SimpleNamespace(**draft.order, lines=[SimpleNamespace(**row) for row in draft.lines],
                           allocations=[SimpleNamespace(**row) for row in draft.allocations])
