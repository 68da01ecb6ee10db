"""Routing wired into placement: the configured strategy decides, rules and fallbacks apply,
re-routing and the waiting-order batch move stock, and the simulator compares strategies."""

from __future__ import annotations

from conveyor.catalog.handlers import create_product
from conveyor.catalog.service import SkuData
from conveyor.channels.handlers import create_channel
from conveyor.inventory.handlers import create_location, receive, update_location
from conveyor.inventory.locations import LocationData
from conveyor.orders import handlers, reallocation
from conveyor.orders.commands import Address
from conveyor.orders.service import get_order, order_timeline
from conveyor.orders.simulation import simulate

NEW_YORK = Address(name="Ada", line1="1 Main St", city="New York", region="NY", postal_code="10001", country="US")
LOS_ANGELES = Address(name="Bo", line1="2 Main St", city="Los Angeles", region="CA", postal_code="90012",
                      country="US")


def world(c, stock: dict[str, dict[str, int]]) -> None:
    """Two real warehouses: NJ (priority 10) and CA (priority 20); `stock` = {location: {sku: qty}}."""
    create_channel(c, code="web", name="Web", backorder_policy="backorder")
    for code, lat, lon, prio in (("NJ", 40.70, -74.16, 10), ("CA", 34.04, -117.56, 20)):
        create_location(c, LocationData(code=code, name=code, latitude=lat, longitude=lon, priority=prio))
    skus = {s for by_sku in stock.values() for s in by_sku}
    for sku in sorted(skus):
        create_product(c, sku, [SkuData(code=sku, name=sku, price_minor=1000, weight_grams=500)])
    for loc, by_sku in stock.items():
        for sku, qty in by_sku.items():
            if qty:
                receive(c, sku, loc, qty, "test")


def place(c, lines, address=LOS_ANGELES, **kw):
    from tests.helpers import order_cmd

    return handlers.place_order(c, order_cmd(lines, shipping_address=address, **kw), actor="test").order


def locations_of(c, order_id) -> set[str]:
    with c.reader() as uow:
        codes = {loc.id: loc.code for loc in __import__("conveyor.inventory.locations", fromlist=["x"])
                 .list_locations(uow)}
        return {codes[a.location_id] for a in get_order(uow, order_id).allocations if a.quantity}


def test_default_lowest_cost_ships_from_the_near_warehouse_priority_does_not(container):
    world(container, {"NJ": {"A": 5}, "CA": {"A": 5}})
    assert locations_of(container, place(container, {"A": 1}).id) == {"CA"}  # LA customer, CA is near
    handlers.save_routing_config(container, {"default": {"strategy": "priority"}}, "test")
    assert locations_of(container, place(container, {"A": 1}).id) == {"NJ"}  # priority ignores distance


def test_explanation_names_chosen_and_rejected_locations(container):
    world(container, {"NJ": {"A": 5}, "CA": {"A": 5}})
    order = place(container, {"A": 1})
    with container.reader() as uow:
        routing = order_timeline(uow, order.id)[0].data["routing"]
    kept = {n["code"]: n for n in routing["candidates"] if n["kept"]}
    dropped = {n["code"]: n for n in routing["candidates"] if not n["kept"]}
    assert set(kept) == {"CA"} and set(dropped) == {"NJ"}
    assert dropped["NJ"]["reason"] and routing["strategy"] == "lowest_cost"


def test_unfillable_fallback_parks_the_order_on_hold(container):
    world(container, {"NJ": {"A": 1}, "CA": {"A": 0}})
    handlers.save_routing_config(container, {"default": {"strategy": "lowest_cost", "fallback": "unfillable"}},
                                 "test")
    order = place(container, {"A": 3})
    assert (order.status, order.hold_reason) == ("on_hold", "unfillable")
    assert order.allocations == []


def test_channel_rule_excludes_stores(container):
    world(container, {"NJ": {"A": 5}, "CA": {"A": 5}})
    handlers.save_routing_config(container, {"channels": {"web": {"strategy": "nearest", "rule_sets": [
        {"name": "not CA", "location_ids": [], "exclude_location_types": ["store"]}]}}}, "test")
    update_location(container, "CA", {"type": "store"})
    assert locations_of(container, place(container, {"A": 1}).id) == {"NJ"}


def test_reroute_moves_the_remainder_elsewhere_and_records_it(container):
    world(container, {"NJ": {"A": 5}, "CA": {"A": 5}})
    order = place(container, {"A": 2})
    assert locations_of(container, order.id) == {"CA"}
    handlers.reroute(container, order.id, "CA", "test", "damaged on the shelf")
    assert locations_of(container, order.id) == {"NJ"}
    with container.reader() as uow:
        events = [e.type for e in order_timeline(uow, order.id)]
        from conveyor.audit import run_audit

        assert run_audit(uow) == []
    assert [e for e in events if e.startswith("order.")][-2:] == ["order.rerouted", "order.allocated"]
    # The CA fulfilment order gave its units up; NJ got a new one (fulfillment/reconcile.py).
    assert events[-2:] == ["fulfilment.cancelled", "fulfilment.created"]


def test_batch_allocates_backorders_oldest_first_after_a_receipt(container):
    world(container, {"NJ": {"A": 1}, "CA": {"A": 0}})
    first = place(container, {"A": 2})
    second = place(container, {"A": 1})
    assert (first.status, second.status) == ("backordered", "backordered")
    receive(container, "A", "NJ", 1, "test")  # the first order still waits for one unit
    with container.reader() as uow:
        waiting = reallocation.waiting_order_ids(uow)
    assert waiting == [first.id, second.id]
    for order_id in waiting:
        handlers.allocate_waiting(container, order_id, "test")
    with container.reader() as uow:
        assert get_order(uow, first.id).status == "allocated"  # the oldest got the unit
        assert get_order(uow, second.id).status == "backordered"


def test_kit_that_allows_split_takes_components_from_two_locations(container):
    world(container, {"NJ": {"P1": 1}, "CA": {"P2": 1}})
    create_product(container, "Kit", [SkuData(code="KIT", name="Kit", price_minor=5000,
                                              kit_components={"P1": 1, "P2": 1}, kit_allows_split=True)])
    order = place(container, {"KIT": 1})
    assert order.status == "allocated"
    assert locations_of(container, order.id) == {"NJ", "CA"}


def test_simulator_compares_strategies_without_writing(container):
    world(container, {"NJ": {"A": 20}, "CA": {"A": 20}})
    for _ in range(4):
        place(container, {"A": 1})
        place(container, {"A": 1}, address=NEW_YORK)
    with container.reader() as uow:
        results = {k.strategy: k for k in simulate(uow, ["priority", "lowest_cost"])}
    assert results["priority"].orders == results["lowest_cost"].orders == 8
    assert results["lowest_cost"].mean_km < results["priority"].mean_km
    assert results["lowest_cost"].mean_cost_minor <= results["priority"].mean_cost_minor


def test_route_simulate_cli_prints_kpis_for_two_strategies(database_url, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from conveyor.cli.main import app
    from conveyor.config import get_settings

    monkeypatch.setenv("CONVEYOR_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["demo", "--orders", "30", "--key-file", str(tmp_path / "key")]).exit_code == 0
        result = runner.invoke(app, ["route", "simulate", "--strategy", "priority", "--strategy", "lowest_cost"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "priority" in line or "lowest_cost" in line]
    assert len(rows) == 2 and all("%" in row for row in rows)
