"""Random sequences of place / cancel / adjust / transfer / ship / receive / reserve / hold
operations; after every step the ledger invariants must hold (`run_audit` is empty) and total
on-hand must equal what came in minus what went out."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import text

from conveyor.bootstrap import build, reset_caches
from conveyor.config import Settings
from conveyor.inventory import service as inventory
from conveyor.inventory.audit import run_audit
from conveyor.orders import operations
from conveyor.orders import service as orders
from conveyor.orders.placement import place_order
from conveyor.shared.errors import DomainError
from tests.conftest import _truncate_postgres
from tests.helpers import order_cmd, seed_world

SKUS = ["A", "B", "C"]
LOCATIONS = ["WH1", "WH2"]


def machine_for(url_factory):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            reset_caches()
            self.c = build(Settings(database_url=url_factory(), api_key_cache_seconds=0, db_durable_commits=False))
            seed_world(self.c, {s: 6 for s in SKUS}, locations=2, policy="backorder")
            self.expected_on_hand = {s: 6 for s in SKUS}
            self.orders: list[str] = []

        def teardown(self):
            self.c.close()

        def _try(self, fn):
            try:
                with self.c.uow() as uow:
                    return fn(uow)
            except DomainError:
                return None

        @rule(lines=st.dictionaries(st.sampled_from(SKUS), st.integers(1, 5), min_size=1, max_size=3),
              policy=st.sampled_from(["reject", "backorder"]))
        def place(self, lines, policy):
            result = self._try(lambda uow: place_order(uow, order_cmd(lines), default_policy=policy))
            if result:
                self.orders.append(result.order.id)

        @rule(data=st.data())
        def cancel(self, data):
            if self.orders:
                order_id = data.draw(st.sampled_from(self.orders))
                partial = data.draw(st.booleans())
                lines = {"1": 1} if partial else None
                self._try(lambda uow: operations.cancel_order(uow, order_id, lines=lines, actor="t"))

        @rule(data=st.data(), location=st.sampled_from(LOCATIONS))
        def ship(self, data, location):
            if not self.orders:
                return
            order_id = data.draw(st.sampled_from(self.orders))
            with self.c.reader() as uow:
                loc_id = inventory.resolve_location(uow, location).id
                order = orders.get_order(uow, order_id)
                shippable = {a.sku_id: a.quantity for a in order.allocations if a.location_id == loc_id}
            shipment = self._try(lambda uow: operations.ship_order(uow, order_id, location_id=loc_id, actor="t"))
            if shipment:
                codes = self._codes()
                for sku_id, qty in shippable.items():
                    self.expected_on_hand[codes[sku_id]] -= qty

        @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), delta=st.integers(-4, 4))
        def adjust(self, sku, location, delta):
            if delta and self._try(lambda uow: inventory.adjust(uow, sku, location, delta, "correction", "t")):
                self.expected_on_hand[sku] += delta

        @rule(sku=st.sampled_from(SKUS), qty=st.integers(1, 5), forward=st.booleans())
        def transfer(self, sku, qty, forward):
            src, dst = LOCATIONS if forward else LOCATIONS[::-1]
            self._try(lambda uow: inventory.transfer(uow, sku, src, dst, qty, "t"))

        @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), qty=st.integers(1, 5))
        def receive(self, sku, location, qty):
            if self._try(lambda uow: inventory.receive(uow, sku, location, qty, "t")):
                self.expected_on_hand[sku] += qty

        @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), qty=st.integers(1, 3),
              release=st.booleans())
        def reserve(self, sku, location, qty, release):
            r = self._try(lambda uow: inventory.reserve(uow, sku, location, qty, 600, "cart", "t"))
            if r and release:
                self._try(lambda uow: inventory.release_reservation(uow, r.id, "t"))

        @rule(data=st.data())
        def hold_and_release(self, data):
            if self.orders:
                order_id = data.draw(st.sampled_from(self.orders))
                if self._try(lambda uow: orders.hold_order(uow, order_id, "check", "t")):
                    self._try(lambda uow: orders.release_hold(uow, order_id, "t"))

        @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), counted=st.integers(0, 12))
        def count(self, sku, location, counted):
            with self.c.reader() as uow:
                row = uow.session.execute(text(
                    "SELECT l.on_hand FROM stock_levels l JOIN skus s ON s.id = l.sku_id JOIN locations c"
                    " ON c.id = l.location_id WHERE s.code = :s AND c.code = :l"), {"s": sku, "l": location}).first()
            old = row.on_hand if row else 0
            if self._try(lambda uow: inventory.cycle_count(uow, location, {sku: counted}, "t")) is not None:
                self.expected_on_hand[sku] += counted - old

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
                    "SELECT s.code, COALESCE(SUM(l.on_hand), 0) FROM skus s LEFT JOIN stock_levels l"
                    " ON l.sku_id = s.id GROUP BY s.code")).all())
            assert totals == self.expected_on_hand

    return LedgerMachine


@pytest.mark.slow
def test_ledger_invariants_hold_under_random_operations(database_url, tmp_path, request):
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
    machine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None,
                                         suppress_health_check=list(HealthCheck))
    machine.TestCase().runTest()
