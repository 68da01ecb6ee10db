"""Handlers on both databases: cut-off release with the clock passed in, late parcels against the
promised date, fulfilment orders following every allocation path of the order core (hold
release, back-order allocation, file import), the EasyPost provider behind the same flow."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from conveyor.audit import run_audit
from conveyor.channels.handlers import create_channel
from conveyor.fulfillment import handlers as fulfil
from conveyor.fulfillment import service
from conveyor.inventory.handlers import receive
from conveyor.messaging.model import OutboxMessage
from conveyor.orders import handlers as orders
from conveyor.orders.service import order_timeline
from conveyor.shared.clock import as_utc
from conveyor.shared.errors import DomainError
from conveyor.shipping.adapters.easypost import EasyPostAdapter
from conveyor.shipping.tracking_events import TrackingEvent
from tests.helpers import order_cmd
from tests.integration.fulfilment.support import CUSTOMER_ADDRESS, seed_floor

NEW_YORK = ZoneInfo("America/New_York")
EASYPOST = Path(__file__).resolve().parents[2] / "fixtures" / "shipping" / "easypost"


@pytest.fixture
def world(container):
    create_channel(container, code="web", name="Web shop", backorder_policy="backorder")
    seed_floor(container)
    return container


def _place(c, lines: dict[str, int], **extra) -> str:
    return orders.place_order(c, order_cmd(lines, shipping_address=CUSTOMER_ADDRESS, **extra), actor="test").order.id


def _fo(c, order_id: str, status: str | None = None):
    with c.reader() as uow:
        found = [fo for fo in service.for_order(uow, order_id) if status in (None, fo.status)]
    assert len(found) == 1, found
    return found[0]


def _packed(c, order_id: str):
    fo = _fo(c, order_id)
    fulfil.release(c, fo.id, "test")
    for line in fo.lines:
        for _ in range(line.quantity):
            fulfil.scan(c, fo.id, line.sku_code, "test")
    fulfil.close_package(c, fo.id, "test", weight_grams=700, box_code="M")
    return fo


def test_cutoff_release_takes_what_came_before_the_cutoff(world):
    fulfil.put_location_settings(world, "NJ", {"release_mode": "cutoff", "release_cutoff": "14:00",
                                              "timezone": "America/New_York"})
    fo = _fo(world, _place(world, {"MUG": 1}))
    created = as_utc(fo.created_at).astimezone(NEW_YORK)
    cutoff = datetime.combine(created.date(), time(14, 0), tzinfo=NEW_YORK)
    if created >= cutoff:
        cutoff += timedelta(days=1)
    assert fulfil.auto_release(world, cutoff - timedelta(minutes=1)) == []
    assert fulfil.auto_release(world, cutoff + timedelta(minutes=1)) == [fo.id]
    assert _fo(world, fo.order_id).status == "released"


def test_a_parcel_that_misses_its_promised_date_is_flagged_late_once(world):
    order_id = _place(world, {"MUG": 1})
    fo = _packed(world, order_id)
    [label] = fulfil.buy_labels(world, fo.id, "test")
    fulfil.ship(world, fo.id, "test")
    promised = _fo(world, order_id).promised_date
    assert promised == label.delivery_date
    day_after = datetime.combine(promised + timedelta(days=1), time(18, 0), tzinfo=NEW_YORK)
    result = fulfil.ingest_tracking(world, [TrackingEvent(label.tracking_number, "in_transit",
                                                          day_after - timedelta(days=2))], "test", now=day_after)
    assert result.late == [fo.id]
    assert fulfil.flag_late(world, day_after + timedelta(days=1)) == []  # already flagged
    with world.reader() as uow:
        late = [e for e in order_timeline(uow, order_id) if e.type == "shipment.late"]
        messages = uow.session.scalars(select(OutboxMessage.topic).where(OutboxMessage.key == fo.id)).all()
    assert len(late) == 1 and late[0].data["days_late"] == 1
    assert "shipment.late" in messages


def test_the_worker_flags_a_silent_parcel_after_its_promised_day(world):
    order_id = _place(world, {"MUG": 1})
    fo = _packed(world, order_id)
    fulfil.buy_labels(world, fo.id, "test")
    fulfil.ship(world, fo.id, "test")
    promised = _fo(world, order_id).promised_date
    on_the_day = datetime.combine(promised, time(12, 0), tzinfo=NEW_YORK)
    assert fulfil.flag_late(world, on_the_day) == []
    assert fulfil.flag_late(world, on_the_day + timedelta(days=2)) == [fo.id]


def test_a_carrier_exception_then_delivery(world):
    order_id = _place(world, {"CAP": 1})
    fo = _packed(world, order_id)
    [label] = fulfil.buy_labels(world, fo.id, "test")
    fulfil.ship(world, fo.id, "test")
    now = datetime.now(NEW_YORK)
    stuck = fulfil.ingest_tracking(world, [TrackingEvent(label.tracking_number, "exception", now)], "test")
    assert stuck.exceptions == [fo.id] and _fo(world, order_id).status == "exception"
    done = fulfil.ingest_tracking(world, [TrackingEvent(label.tracking_number, "delivered",
                                                        now + timedelta(hours=3))], "test")
    assert done.delivered == [fo.id]
    with world.reader() as uow:
        from conveyor.orders.service import get_order

        assert get_order(uow, order_id).status == "delivered"
    again = fulfil.ingest_tracking(world, [TrackingEvent(label.tracking_number, "delivered",
                                                         now + timedelta(hours=3))], "test")
    assert (again.received, again.stored) == (1, 0)


def test_fulfilment_orders_follow_back_orders_and_held_orders(world):
    order_id = _place(world, {"CAP": 12})  # 10 in stock: 2 back-ordered
    assert [li.quantity for li in _fo(world, order_id).lines] == [10]
    receive(world, "CAP", "NJ", 5, actor="test")
    assert orders.allocate_waiting(world, order_id, "test") == 2
    with world.reader() as uow:
        held = {fo.location_id: sum(li.quantity for li in fo.lines) for fo in service.for_order(uow, order_id)}
    assert sorted(held.values()) == [2, 10]
    held_order = _place(world, {"MUG": 1}, hold_reason="check the address")
    with world.reader() as uow:
        assert service.for_order(uow, held_order) == []
    orders.release_hold(world, held_order, "test")
    assert _fo(world, held_order).status == "pending"
    with world.reader() as uow:
        assert run_audit(uow) == []


def test_a_file_import_opens_fulfilment_orders_for_every_order(world):
    results = orders.place_batch(world, [order_cmd({"MUG": 1}, external_id=f"F-{n}") for n in range(3)], "web",
                                 actor="import")
    assert all(r.created for r in results)
    for r in results:
        assert _fo(world, r.order.id).lines[0].quantity == 1


class RecordedEasyPost:
    """EasyPost API v2 answered from recorded responses (tests/fixtures/shipping/easypost)."""

    def __init__(self) -> None:
        def load(name: str) -> dict:
            return json.loads((EASYPOST / name).read_text())

        created, bought = load("shipment_create.json"), load("shipment_buy.json")
        self.routes = {("POST", "/v2/shipments"): created,
                       ("POST", f"/v2/shipments/{created['id']}/buy"): bought,
                       ("GET", f"/v2/shipments/{created['id']}/label"): load("shipment_label_zpl.json"),
                       ("POST", f"/v2/shipments/{created['id']}/refund"): load("shipment_refund.json")}
        self.calls: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        if request.url.path.endswith((".pdf", ".zpl")):
            return httpx.Response(200, content=b"%PDF-1.4 label" if request.url.path.endswith(".pdf") else b"^XA^XZ")
        return httpx.Response(200, json=self.routes[(request.method, request.url.path)])


def test_labels_bought_through_easypost_are_stored_and_voided(world):
    recorded = RecordedEasyPost()
    adapter = EasyPostAdapter("EZTK_test", client=httpx.Client(transport=httpx.MockTransport(recorded)))
    order_id = _place(world, {"MUG": 1})
    fo = _packed(world, order_id)
    [label] = fulfil.buy_labels(world, fo.id, "test", "usps", "Priority", adapter=adapter)
    assert (label.provider, label.carrier, label.tracking_number) == ("easypost", "usps", "9405500000000000000023")
    assert label.label_pdf.startswith(b"%PDF") and label.label_zpl
    voided = fulfil.void_label(world, label.id, "test", adapter=adapter)
    assert (voided.status, voided.void_status) == ("voided", "submitted")
    assert ("POST", "/v2/shipments/" + recorded.routes[("POST", "/v2/shipments")]["id"] + "/refund") in recorded.calls


def test_the_settings_choose_the_label_provider(world):
    with world.reader() as uow:
        assert fulfil.carrier_adapter(world, uow).name == "builtin"
        world.settings.shipping_provider = "easypost"
        with pytest.raises(DomainError, match="CONVEYOR_EASYPOST_API_KEY"):
            fulfil.carrier_adapter(world, uow)
        world.settings.easypost_api_key = "EZAK_live"
        assert isinstance(fulfil.carrier_adapter(world, uow), EasyPostAdapter)


def test_simultaneous_waves_never_put_a_fulfilment_order_on_two_pick_lists(world):
    fos = [_fo(world, _place(world, {"MUG": 1})) for _ in range(6)]
    for fo in fos:
        fulfil.release(world, fo.id, "test")

    def wave(_: int) -> list[str]:
        try:
            return [p.id for p in fulfil.create_pick_lists(world, "NJ", "test", max_orders=1)]
        except DomainError as exc:
            assert exc.code == "conflict"
            return []

    with ThreadPoolExecutor(4) as pool:
        lists = [pid for made in pool.map(wave, range(4)) for pid in made]
    with world.reader() as uow:
        on_lists = [service.get(uow, fo.id).pick_list_id for fo in fos]
    assert sorted(on_lists) == sorted(lists) and len(set(lists)) == 6


def test_a_packed_parcel_that_loses_units_goes_back_to_the_bench(world):
    order_id = _place(world, {"MUG": 2})
    fo = _packed(world, order_id)
    assert _fo(world, order_id).status == "packed"
    with world.reader() as uow:
        line_id = service.get(uow, fo.id).lines[0].order_line_id
    orders.cancel_order(world, order_id, lines={line_id: 1}, reason="customer kept one", actor="test")
    after = _fo(world, order_id)
    assert (after.status, after.lines[0].quantity, after.lines[0].packed) == ("picking", 1, 1)
    with world.reader() as uow:
        assert run_audit(uow) == []
