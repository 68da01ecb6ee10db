"""Random sequences of every operation that moves stock — place (plain lines, kits that may and may
not split), cancel whole or in part, re-route a whole location / some lines / some units, ship all
or part of what a location holds, deliver, adjust, transfer, receive, reserve, hold and release,
count — through the command handlers. After every step the ledger invariants must hold
(`run_audit` is empty: levels = ledger, allocation rows = line buckets, whole units per location)
and total on-hand must equal what came in minus what went out."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import text

from conveyor.audit import run_audit
from conveyor.bootstrap import build
from conveyor.catalog.handlers import create_product
from conveyor.catalog.service import SkuData
from conveyor.channels.handlers import create_channel
from conveyor.config import Settings
from conveyor.inventory import handlers as inventory
from conveyor.inventory.locations import resolve_location
from conveyor.orders import allocations as alloc
from conveyor.orders import handlers as orders
from conveyor.orders.service import get_order, line_parts, rows_by_line
from conveyor.shared.errors import DomainError
from tests.conftest import _truncate_postgres
from tests.helpers import order_cmd, seed_world

PLAIN = ["A", "B", "C"]
KITS = {"KIT": ({"A": 1, "B": 2}, False), "SPLIT": ({"B": 1, "C": 1}, True)}
LOCATIONS = ["WH1", "WH2"]
ORDER = st.integers(0, 10_000)  # which of the orders placed so far (modulo their number)
PICK = st.tuples(st.lists(st.sampled_from(["1", "2", "3"]), min_size=1, unique=True), st.integers(1, 4))


def machine_for(url_factory):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.c = build(Settings(database_url=url_factory(), api_key_cache_seconds=0, db_durable_commits=False))
            seed_world(self.c, {s: 6 for s in PLAIN}, locations=2, policy="reject")
            create_channel(self.c, code="bo", name="Backorders welcome", backorder_policy="backorder")
            for code, (parts, split) in KITS.items():
                create_product(self.c, code, [SkuData(code=code, name=code, price_minor=3000,
                                                      kit_components=parts, kit_allows_split=split)])
            for sku in PLAIN:
                inventory.receive(self.c, sku, "WH2", 4, "t")
            self.expected_on_hand = {s: 10 for s in PLAIN}
            self.orders: list[str] = []

        def teardown(self):
            self.c.close()

        def _try(self, fn):
            try:
                return fn()
            except DomainError:
                return None

        # Every draw is a rule argument, never drawn after looking at the database: hypothesis replays
        # draws, and a draw that depended on the state (which orders exist, what a location holds)
        # would replay differently. Choices are fitted to the state afterwards.
        def _order(self, which: int) -> str | None:
            return self.orders[which % len(self.orders)] if self.orders else None

        @rule(lines=st.dictionaries(st.sampled_from(PLAIN + list(KITS)), st.integers(1, 4), min_size=1, max_size=3),
              channel=st.sampled_from(["web", "bo"]))
        def place(self, lines, channel):
            result = self._try(lambda: orders.place_order(self.c, order_cmd(lines, channel=channel), actor="t"))
            if result:
                self.orders.append(result.order.id)

        @rule(which=ORDER, partial=st.booleans(), units=st.integers(1, 3))
        def cancel(self, which, partial, units):
            if order_id := self._order(which):
                lines = {"1": units} if partial else None
                self._try(lambda: orders.cancel_order(self.c, order_id, lines=lines, actor="t"))

        @rule(which=ORDER, location=st.sampled_from(LOCATIONS), mode=st.sampled_from(["all", "lines", "units"]),
              pick=PICK)
        def reroute(self, which, location, mode, pick):
            if order_id := self._order(which):
                held = self._open_at(order_id, location)
                lines = None if mode == "all" or not held else self._fit(pick, held, mode)
                self._try(lambda: orders.reroute(self.c, order_id, location, "t", "refused", lines))

        @rule(which=ORDER, location=st.sampled_from(LOCATIONS), partial=st.booleans(), pick=PICK)
        def ship(self, which, location, partial, pick):
            if not (order_id := self._order(which)):
                return
            held = self._open_at(order_id, location)
            lines = self._fit(pick, held, "units") if partial and held else None
            shipment = self._try(lambda: orders.ship_order(self.c, order_id, location=location, lines=lines,
                                                           actor="t"))
            if shipment:
                codes = self._codes()
                for item in shipment.items:
                    for part in item["components"]:
                        self.expected_on_hand[codes[part["sku_id"]]] -= part["quantity"]

        @rule(which=ORDER)
        def deliver(self, which):
            if order_id := self._order(which):
                self._try(lambda: orders.deliver(self.c, order_id, None, "t"))

        @rule(sku=st.sampled_from(PLAIN), location=st.sampled_from(LOCATIONS), delta=st.integers(-4, 4))
        def adjust(self, sku, location, delta):
            if delta and self._try(lambda: inventory.adjust(self.c, sku, location, delta, "correction", "t")):
                self.expected_on_hand[sku] += delta

        @rule(sku=st.sampled_from(PLAIN), qty=st.integers(1, 5), forward=st.booleans())
        def transfer(self, sku, qty, forward):
            src, dst = LOCATIONS if forward else LOCATIONS[::-1]
            self._try(lambda: inventory.transfer(self.c, sku, src, dst, qty, "t"))

        @rule(sku=st.sampled_from(PLAIN), location=st.sampled_from(LOCATIONS), qty=st.integers(1, 5))
        def receive(self, sku, location, qty):
            if self._try(lambda: inventory.receive(self.c, sku, location, qty, "t")):
                self.expected_on_hand[sku] += qty

        @rule(sku=st.sampled_from(PLAIN), location=st.sampled_from(LOCATIONS), qty=st.integers(1, 3),
              release=st.booleans())
        def reserve(self, sku, location, qty, release):
            r = self._try(lambda: inventory.reserve(self.c, sku, location, qty, 600, "cart", "t"))
            if r and release:
                self._try(lambda: inventory.release_reservation(self.c, r.id, "t"))

        @rule(which=ORDER)
        def hold_and_release(self, which):
            if (order_id := self._order(which)) and self._try(lambda: orders.hold_order(self.c, order_id, "x", "t")):
                self._try(lambda: orders.release_hold(self.c, order_id, "t"))

        @rule(sku=st.sampled_from(PLAIN), location=st.sampled_from(LOCATIONS), buckets=st.sampled_from([None, 2, 4]))
        def hot_mode(self, sku, location, buckets):
            """Hot-SKU mode on and off under everything else: totals never change by it."""
            self._try(lambda: inventory.set_hot_mode(self.c, sku, location, buckets, "t"))

        @rule()
        def refill_hot(self):
            inventory.refill_hot_skus(self.c)

        @rule(sku=st.sampled_from(PLAIN), location=st.sampled_from(LOCATIONS), counted=st.integers(0, 12))
        def count(self, sku, location, counted):
            with self.c.reader() as uow:
                row = uow.session.execute(text(
                    "SELECT SUM(x.on_hand) FROM (SELECT sku_id, location_id, on_hand FROM stock_levels UNION ALL"
                    " SELECT sku_id, location_id, on_hand FROM stock_level_buckets) x JOIN skus s ON s.id = x.sku_id"
                    " JOIN locations c ON c.id = x.location_id WHERE s.code = :s AND c.code = :l"),
                    {"s": sku, "l": location}).scalar()
            old = row or 0
            if self._try(lambda: inventory.cycle_count(self.c, location, {sku: counted}, "t")) is not None:
                self.expected_on_hand[sku] += counted - old

        def _open_at(self, order_id: str, location: str) -> dict[str, int]:
            """What GET /orders/{id} shows allocated at `location`, per line number."""
            with self.c.reader() as uow:
                loc_id = resolve_location(uow, location).id
                order = get_order(uow, order_id)
                parts, rows = line_parts(uow, order), rows_by_line(order)
                held = {str(li.line_no): alloc.open_units_at(rows[li.id], parts[li.id], loc_id)
                        for li in order.lines if li.id in parts}
            return {k: v for k, v in held.items() if v}

        @staticmethod
        def _fit(pick: tuple[list[str], int], held: dict[str, int], mode: str) -> dict[str, int]:
            lines, units = pick
            chosen = [k for k in lines if k in held] or sorted(held)[:1]
            return {k: held[k] if mode == "lines" else min(units, held[k]) for k in chosen}

        def _codes(self) -> dict[str, str]:
            with self.c.reader() as uow:
                return dict(uow.session.execute(text("SELECT id, code FROM skus")).all())

        @invariant()
        def ledger_is_the_truth(self):
            if not hasattr(self, "c"):
                return
            with self.c.reader() as uow:
                assert run_audit(uow) == []
                totals = dict(uow.session.execute(text(
                    "SELECT s.code, SUM(x.on_hand) FROM skus s JOIN (SELECT sku_id, on_hand FROM stock_levels"
                    " UNION ALL SELECT sku_id, on_hand FROM stock_level_buckets) x ON x.sku_id = s.id"
                    " GROUP BY s.code")).all())
            assert totals == self.expected_on_hand

    return LedgerMachine


@pytest.mark.slow
def test_ledger_invariants_hold_under_random_operations(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        template = database_url.removeprefix("sqlite:///")
        counter = iter(range(10_000))

        def fresh() -> str:
            path = tmp_path / f"m{next(counter)}.db"
            shutil.copy(template, path)
            return f"sqlite:///{path}"
    else:
        def fresh() -> str:
            _truncate_postgres(database_url)
            return database_url

    machine = machine_for(fresh)
    machine.TestCase.settings = settings(max_examples=30, stateful_step_count=30, deadline=None,
                                         suppress_health_check=list(HealthCheck))
    machine.TestCase().runTest()
