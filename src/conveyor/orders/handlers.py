"""Order use cases: each opens one unit of work, calls operations of one or more areas, and commits
exactly once. The API, the CLI, the worker and tests call these, never the operations directly."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import Context, copy_context
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy.exc import IntegrityError

from conveyor.automation import lifecycle_rules as automation_rules
from conveyor.automation.order_facts import FactsSettings
from conveyor.bootstrap import Container
from conveyor.catalog.service import sku_facts
from conveyor.channels.service import channel_info, channel_info_by_id
from conveyor.channels.skumap import remap_unmapped_lines
from conveyor.fulfillment import service as fulfilment
from conveyor.orders import operations, placement, reallocation, routing_store, service
from conveyor.orders import routing_bridge as bridge
from conveyor.orders import service as service_module
from conveyor.orders.commands import ChannelTerms, OnShort, PlacementOptions, PlaceOrder
from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Order, Shipment
from conveyor.orders.placement import LostRace, Placement, PlacementResult
from conveyor.orders.reallocation import RoutingChoice
from conveyor.routing.rules import RoutingConfig
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.handlers import Idempotency, Replayed, replay_of, run, store_response
from conveyor.shared.uow import UnitOfWork

T = TypeVar("T")
MAX_ATTEMPTS = 3


def channel_terms(uow: UnitOfWork, channel_code: str, default_policy: str) -> ChannelTerms:
    info = channel_info(uow, channel_code)
    return ChannelTerms(info.id, info.code, info.backorder_policy or default_policy, info.routing_strategy)


def on_short_for(terms: ChannelTerms, paid_on_channel: bool = False) -> OnShort:
    """Under `reject`, an order straight from a customer is refused; one already paid on a channel
    (webhook, poll, file) is kept on hold instead, so the sale is not lost."""
    if terms.backorder_policy == "backorder":
        return OnShort.BACKORDER
    return OnShort.HOLD if paid_on_channel else OnShort.REFUSE


def routing_for(uow: UnitOfWork, order: Order, strategy: str | None = None) -> RoutingChoice:
    info = channel_info_by_id(uow, order.channel_id)
    return RoutingChoice(info.code, strategy or info.routing_strategy)


def retrying(attempt: Callable[[], T]) -> T:
    """Run a whole transaction again when placement lost a race for stock."""
    for _ in range(MAX_ATTEMPTS):
        try:
            return attempt()
        except LostRace:
            continue
    raise DomainError(ErrorCode.BUSY, "stock kept changing while placing the order; retry the request")


# --- placing -----------------------------------------------------------------------------------------

def place_order(c: Container, cmd: PlaceOrder, *, actor: str, paid_on_channel: bool = False,
                idempotency: Idempotency[Any] | None = None) -> PlacementResult | Replayed:
    """Place one order. 201-worthy when created; the channel's earlier order when it repeats an
    external id; the first answer when an Idempotency-Key repeats.

    On SQLite, which lets one transaction write at a time, the order is routed in a read
    transaction first and only written in its writer's turn (as `place_batch` does): API workers
    then route side by side instead of queueing for the whole placement. A stock level taken
    meanwhile makes the guarded update come up short (`LostRace`): the attempt runs again. On
    PostgreSQL the order is routed inside the writing transaction (one transaction, fewer round
    trips; its rows lock only at the update)."""
    def attempt() -> PlacementResult | Replayed:
        ahead = None
        if c.db.is_sqlite:
            with c.reader() as reader:
                ahead = decide_one(reader, cmd, c, actor, paid_on_channel)
        with c.uow() as uow:
            if (replayed := replay_of(uow, idempotency)) is not None:
                return replayed
            result, placed = place_in(uow, cmd, c, actor, paid_on_channel, ahead=ahead)
            placement.take_stock(uow, placed)
            if cmd.payment is not None and result.created:
                # The payment is taken once the stock is ours (a lost race must not authorize twice),
                # and the answer shows what it did: a declined card puts the order on hold.
                uow.flush()
                uow.react_now(service.PAYMENT_DUE)
                result.order = service.get_order(uow, result.order.id)
            store_response(uow, idempotency, result.order, 201 if result.created else 200)
            uow.commit()
            return result

    return retrying(attempt)


Outcome = PlacementResult | DomainError  # an order placed (or found placed before), or why it was refused


def place_together(c: Container, orders: list[tuple[PlaceOrder, str]],
                   contexts: list[Context] | None = None) -> list[Outcome]:
    """Orders that arrived at the same moment (concurrent API requests; each with its actor),
    placed in ONE write transaction: each order is decided as `place_order` decides it, in turn,
    against one stock snapshot that books what the orders before it took - so each gets the answer
    it would have got placed one after another. An order refused while deciding (a DomainError) is
    that order's answer, and the others go on.

    Why: an order's transaction costs the database and the worker about as much as its rows
    (BEGIN, statements, COMMIT and its WAL flush, on SQLite the writer's turn); orders written
    together share that cost - one snapshot read, one INSERT of all their rows - and orders for one
    SKU take its stock in one guarded UPDATE instead of queueing on its row one by one
    (docs/decisions.md 41, 43).

    If the shared write cannot finish (stock taken meanwhile twice over, a repeat external id
    arriving another way, a deadlock, the database busy), nothing of it stays and each order is
    placed alone with `place_order`: the same answers, one transaction each. Orders that pay at
    placement are always placed alone (their payment is taken inside their own transaction).

    `contexts`: each order's own (its request's): what is written for one order (its timeline
    rows, its messages, its log lines) carries its request's id."""
    if not orders:
        return []
    contexts = contexts or [copy_context() for _ in orders]
    if len(orders) == 1 or any(cmd.payment is not None for cmd, _ in orders):
        return [context.run(_alone, c, cmd, actor) for (cmd, actor), context in zip(orders, contexts, strict=True)]
    for _ in range(2):
        try:
            return _place_together_once(c, orders, contexts)
        except LostRace:
            continue
        except Exception:  # noqa: BLE001 - rolled back; every order is placed alone below, errors and all
            break
    return [context.run(_alone, c, cmd, actor) for (cmd, actor), context in zip(orders, contexts, strict=True)]


def _alone(c: Container, cmd: PlaceOrder, actor: str) -> Outcome:
    try:
        result = place_order(c, cmd, actor=actor)
    except DomainError as exc:
        return exc
    assert isinstance(result, PlacementResult)  # no Idempotency-Key: never a replay
    return result


@dataclass(slots=True)
class _Batch:
    """Orders placed together: each one's outcome or decision, and the channels' repeats among
    them, found before deciding - a repeat takes nothing, so it must not book stock that the orders
    after it in the batch would then miss."""
    orders: list[tuple[PlaceOrder, str]]
    contexts: list[Context]
    outcomes: list[Outcome | None] = field(init=False)
    ahead: list[Decided | None] = field(init=False)
    keys: dict[int, tuple[str, str]] = field(default_factory=dict)  # order → (channel id, external id)
    sent: set[tuple[str, str]] = field(default_factory=set)  # keys the channels sent before, as read
    repeats: dict[int, tuple[str, str]] = field(default_factory=dict)  # order → the key it repeats

    def __post_init__(self) -> None:
        self.outcomes, self.ahead = [None] * len(self.orders), [None] * len(self.orders)


def _place_together_once(c: Container, orders: list[tuple[PlaceOrder, str]],
                         contexts: list[Context]) -> list[Outcome]:
    batch = _Batch(orders, contexts)
    if c.db.is_sqlite:  # routed before the writer's turn, as place_order does
        with c.reader() as reader:
            _decide_batch(reader, c, batch)
    with c.uow() as uow:
        if not c.db.is_sqlite:
            _decide_batch(uow, c, batch)
        elif placement.sent_before(uow, set(batch.keys.values())) != batch.sent:
            raise LostRace  # a repeat went in since the batch was decided: decide it again
        _write_batch(uow, c, batch)
        uow.commit()
    assert all(outcome is not None for outcome in batch.outcomes)
    return cast(list[Outcome], batch.outcomes)


def _decide_batch(uow: UnitOfWork, c: Container, batch: _Batch) -> None:
    """Decide each order in turn against ONE stock snapshot, booking what each takes so the next
    one sees it: as if they had been placed one after another. A channel's repeat (placed before,
    or earlier in the batch) is not decided: it takes nothing and answers with that order."""
    batch.keys = _channel_keys(uow, c, batch.orders)
    batch.sent = placement.sent_before(uow, set(batch.keys.values()))
    stock = _batch_stock(uow, [cmd for n, (cmd, _) in enumerate(batch.orders) if batch.keys.get(n) not in batch.sent])
    claimed: set[tuple[str, str]] = set()
    for n, (cmd, actor) in enumerate(batch.orders):
        key = batch.keys.get(n)
        if key is not None and (key in batch.sent or key in claimed):
            batch.repeats[n] = key
            continue
        try:
            decided = batch.contexts[n].run(decide_one, uow, cmd, c, actor, stock=stock)
        except DomainError as exc:
            batch.outcomes[n] = exc  # refused: a later order with its external id is placed as new
            continue
        batch.ahead[n] = decided
        stock.take(decided.decided.taken())
        if key is not None:
            claimed.add(key)


def _channel_keys(uow: UnitOfWork, c: Container, orders: list[tuple[PlaceOrder, str]]) -> dict[int, tuple[str, str]]:
    keys = {}
    for n, (cmd, _) in enumerate(orders):
        if cmd.external_id:
            try:
                keys[n] = (channel_terms(uow, cmd.channel, c.settings.backorder_policy).channel_id, cmd.external_id)
            except DomainError:
                continue  # an unknown channel: deciding the order answers so
    return keys


def _write_batch(uow: UnitOfWork, c: Container, batch: _Batch) -> None:
    """Write each decided order, in its own context, then take the stock of all of them in one
    guarded UPDATE. With the repeats known, every new order's rows go in the transaction's deferred
    inserts: one statement for the whole batch. (One sent meanwhile by another way fails that
    statement on the unique key: the batch is rolled back, and each order placed alone.)"""
    created: dict[tuple[str, str], PlacementResult] = {}
    taken = Placement()
    for n, decided in enumerate(batch.ahead):
        if n in batch.repeats:
            key = batch.repeats[n]
            order = created[key].order if key in created else placement.existing_order(uow, *key)
            batch.outcomes[n] = PlacementResult(order, False, key[1])
            continue
        if decided is None:
            continue
        result, placed = batch.contexts[n].run(place_in, uow, decided.cmd, c, batch.orders[n][1], ahead=decided,
                                               checked=True)
        batch.outcomes[n] = result
        if n in batch.keys:
            created[batch.keys[n]] = result
        for pair, units in placed.taken.items():
            taken.taken[pair] += units
    placement.take_stock(uow, taken)  # flushes every deferred row first


def _batch_stock(uow: UnitOfWork, cmds: list[PlaceOrder]) -> bridge.StockView:
    """The stock snapshot of every SKU the orders name (kits: their components), read once."""
    skus = sku_facts(uow, sorted({li.sku for cmd in cmds for li in cmd.lines}))
    return bridge.StockView.read(uow, {part for facts in skus.values() for part, _ in facts.components})


@dataclass(slots=True)
class Decided:
    """One order shaped by the `placed` automation rules and routed, nothing written yet."""
    cmd: PlaceOrder
    hits: automation_rules.PlacedHits | None
    terms: ChannelTerms
    options: PlacementOptions
    decided: placement.Decided
    now: datetime


def decide_one(uow: UnitOfWork, cmd: PlaceOrder, c: Container, actor: str,
               paid_on_channel: bool = False, stock: bridge.StockView | None = None) -> Decided:
    """Reads only: the channel's terms, the `placed` rules applied to the command (hold, tags,
    location, strategy, ...), and the routing decision (against `stock` when given)."""
    terms = channel_terms(uow, cmd.channel, c.settings.backorder_policy)
    now = utcnow()
    rules = automation_rules.placed_rules(c.reader)
    cmd, hits = automation_rules.shape_command(uow, cmd, now, FactsSettings.of(c.settings), rules)
    options = PlacementOptions(actor, on_short_for(terms, paid_on_channel), c.settings.max_order_lines)
    return Decided(cmd, hits, terms, options, placement.decide(uow, [cmd], terms, options, stock), now)


def place_in(uow: UnitOfWork, cmd: PlaceOrder, c: Container, actor: str,
             paid_on_channel: bool = False, open_fulfilment: bool = True,
             ahead: Decided | None = None, checked: bool = False) -> tuple[PlacementResult, Placement]:
    """Placement of one order inside a handler's transaction (stock not taken yet: `take_stock`),
    decided here or `ahead` (by `decide_one`, in an earlier read transaction).
    Its fulfilment orders are opened too, unless the caller hands the goods over itself (POS).
    `checked`: see `placement.write`."""
    d = ahead or decide_one(uow, cmd, c, actor, paid_on_channel)
    placed = placement.write(uow, d.decided, d.terms, d.options, checked)
    if open_fulfilment:
        fulfilment.open_for_placement(uow, [r.order for r in placed.created], actor)
    result = placed.results[0]
    if d.hits is not None and result.created:
        automation_rules.record_placed(uow, result.order.id, d.hits, d.now)
    if d.cmd.payment is not None and result.created:
        p = d.cmd.payment
        uow.changed(service.PAYMENT_DUE, result.order.id, actor=actor, provider=p.provider, method=p.method,
                    token=p.token, customer=p.customer)
    return result, placed


def place_batch(c: Container, cmds: list[PlaceOrder], channel_code: str, *, actor: str,
                dry_run: bool = False) -> list[PlacementResult]:
    """Place many orders of one channel (a file import) in one write transaction; orders the channel sent
    before are skipped, refused ones reported. If stock changed meanwhile the batch is tried again,
    then order by order. `dry_run` does everything and commits nothing.

    The orders are routed in a read transaction and written in a write transaction after it, so
    the write lock (SQLite) and the rows' locks are held only for the writes: imports running side
    by side (`channels.imports`, workers) route while one of them writes."""
    def attempt(batch: list[PlaceOrder]) -> list[PlacementResult]:
        now, facts, rules = utcnow(), FactsSettings.of(c.settings), automation_rules.placed_rules(c.reader)
        with c.reader() as reader:
            terms = channel_terms(reader, channel_code, c.settings.backorder_policy)
            options = PlacementOptions(actor, on_short_for(terms, paid_on_channel=True), c.settings.max_order_lines,
                                       collect_refusals=True)
            shaped = [automation_rules.shape_command(reader, cmd, now, facts, rules) for cmd in batch]
            decided = placement.decide(reader, [cmd for cmd, _ in shaped], terms, options)
        with c.uow() as uow:
            placed = placement.write(uow, decided, terms, options)
            fulfilment.open_for_placement(uow, [r.order for r in placed.created], actor)
            _record_batch_hits(uow, shaped, placed.results, now)
            placement.take_stock(uow, placed)
            if not dry_run:
                uow.commit()
            return placed.results

    try:
        try:
            return attempt(cmds)
        except LostRace:
            return attempt(cmds)
    except (LostRace, IntegrityError):
        # Stock keeps changing, or the same external id arrived another way meanwhile.
        return [result for cmd in cmds for result in retrying(partial(attempt, [cmd]))]


def _record_batch_hits(uow: UnitOfWork, shaped: list[tuple[PlaceOrder, automation_rules.PlacedHits | None]],
                       results: list[PlacementResult], now: datetime) -> None:
    """Rule hits of a file import go on the timelines of the orders created (found by external id)."""
    created = {r.external_id: r.order.id for r in results if r.created and r.external_id}
    for cmd, hits in shaped:
        if hits is not None and cmd.external_id in created:
            automation_rules.record_placed(uow, created[cmd.external_id], hits, now)


# --- after placement ---------------------------------------------------------------------------------

def hold_order(c: Container, order_id: str, reason: str, actor: str, scope_channel_id: str | None = None,
               until: datetime | None = None) -> Order:
    return run(c.uow, lambda uow: service.hold_order(uow, order_id, reason, actor, scope_channel_id, until))


def release_hold(c: Container, order_id: str, actor: str, scope_channel_id: str | None = None,
                 strategy: str | None = None) -> Order:
    """Lift a hold. An order held before it was routed (unmapped SKU, short stock at intake) is
    allocated now, with SKUs mapped since then."""
    def work(uow: UnitOfWork) -> Order:
        order = service.release_hold(uow, order_id, actor, scope_channel_id)
        if order.status == Status.PENDING:
            remap_unmapped_lines(uow, order)
            reallocation.allocate_open_lines(uow, order, routing_for(uow, order, strategy), actor)
        return order

    return run(c.uow, work)


def add_note(c: Container, order_id: str, text: str, actor: str, scope_channel_id: str | None = None) -> Order:
    return run(c.uow, lambda uow: service.add_note(uow, order_id, text, actor, scope_channel_id))


def change_tags(c: Container, order_id: str, add: list[str], remove: list[str], actor: str,
                scope_channel_id: str | None = None) -> Order:
    return run(c.uow, lambda uow: service.change_tags(uow, order_id, add, remove, actor, scope_channel_id))


def change_shipping_address(c: Container, order_id: str, address: Mapping[str, Any], actor: str,
                            reason: str = "") -> Order:
    """A new shipping address, refused once a parcel of the order is packed (its label would be wrong)."""
    def work(uow: UnitOfWork) -> Order:
        if any(fo.status in ("packed", "shipped", "delivered") for fo in fulfilment.for_order(uow, order_id)):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "a parcel of this order is packed: reopen it first")
        return service.change_shipping_address(uow, order_id, address, actor, reason)

    return run(c.uow, work)


def cancel_order(c: Container, order_id: str, *, lines: Mapping[str, int] | None = None, reason: str = "",
                 actor: str, scope_channel_id: str | None = None) -> Order:
    return run(c.uow, lambda uow: operations.cancel_order(uow, order_id, lines=lines, reason=reason, actor=actor,
                                                          scope_channel_id=scope_channel_id))


def ship_order(c: Container, order_id: str, *, location: str, lines: Mapping[str, int] | None = None,
               carrier: str = "", tracking_number: str = "", actor: str, scope_channel_id: str | None = None,
               idempotency: Idempotency[Shipment] | None = None) -> Shipment | Replayed:
    def work(uow: UnitOfWork) -> Shipment:
        from conveyor.inventory.locations import resolve_location

        location_id = resolve_location(uow, location).id
        return operations.ship_order(uow, order_id, location_id=location_id, lines=lines, carrier=carrier,
                                     tracking_number=tracking_number, actor=actor, scope_channel_id=scope_channel_id)

    return run(c.uow, work, idempotency)


def deliver(c: Container, order_id: str, shipment_id: str | None, actor: str,
            scope_channel_id: str | None = None) -> Order:
    def work(uow: UnitOfWork) -> Order:
        order = operations.deliver_shipment(uow, order_id, shipment_id, actor, scope_channel_id)
        fulfilment.shipments_delivered(uow, order_id, shipment_id, actor)
        return order

    return run(c.uow, work)


def complete(c: Container, order_id: str, actor: str, scope_channel_id: str | None = None) -> Order:
    return run(c.uow, lambda uow: operations.complete_order(uow, order_id, actor, scope_channel_id))


def reroute(c: Container, order_id: str, location: str, actor: str, reason: str,
            lines: Mapping[str, int] | None = None, scope_channel_id: str | None = None) -> Order:
    def work(uow: UnitOfWork) -> Order:
        from conveyor.inventory.locations import resolve_location

        order = service.get_order(uow, order_id, scope_channel_id, for_update=True)
        return reallocation.reroute(uow, order_id, resolve_location(uow, location).id, actor, reason,
                                    routing_for(uow, order), lines, scope_channel_id)

    return run(c.uow, work)


def allocate_waiting(c: Container, order_id: str, actor: str, strategy: str | None = "optimal") -> int:
    """One step of `conveyor route batch`: what one waiting order can get now."""
    return run(c.uow, lambda uow: reallocation.allocate_waiting(
        uow, order_id, lambda order: routing_for(uow, order, strategy), actor))


def save_routing_config(c: Container, document: dict[str, Any], actor: str) -> RoutingConfig:
    return run(c.uow, lambda uow: routing_store.save(uow, document, actor))




def out_for_delivery(c: Container, order_id: str, shipment_id: str | None, actor: str) -> Order:
    """The carrier reports the last mile (tracking updates call this; the customer gets an e-mail)."""
    return run(c.uow, lambda uow: operations.out_for_delivery(uow, order_id, shipment_id, actor))


def set_preferences(c: Container, order_id: str, actor: str, *, priority: str | None = None,
                    carrier: str | None = None, service: str | None = None) -> Order:
    return run(c.uow, lambda uow: service_module.set_preferences(uow, order_id, actor, priority=priority,
                                                                 carrier=carrier, service=service))
