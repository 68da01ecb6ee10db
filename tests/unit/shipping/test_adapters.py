"""Carrier adapters: the offline built-in carrier, and EasyPost through recorded responses served
by an httpx.MockTransport (no network). Fixtures: tests/fixtures/shipping/easypost/README.md."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import Money
from conveyor.shipping.adapters import CarrierAdapter, CarrierRate, Parcel, ShipmentRequest
from conveyor.shipping.adapters.builtin import BuiltinCarrierAdapter
from conveyor.shipping.adapters.easypost import EasyPostAdapter, EasyPostError, events_from_webhook
from conveyor.shipping.addresses import Address
from conveyor.shipping.carriers import demo_carriers
from conveyor.shipping.tracking_numbers import validate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shipping" / "easypost"
SHIP_FROM = Address("Conveyor Warehouse", "350 5th Ave", "New York", "10118", "US", region="NY",
                    company="Acme Goods Inc.")
SHIP_TO = Address("Jurgen Muller", "1 Market St", "San Francisco", "94105", "US", region="CA", line2="Suite 300")
SHIPMENT = ShipmentRequest(SHIP_FROM, SHIP_TO, Parcel(1850, 300, 200, 150), reference="ORD-1001", residential=True,
                           origin_timezone="America/New_York")
PDF_BYTES = b"%PDF-1.4 recorded label"
ZPL_TEXT = "^XA^FO50,50^BCN,100,Y,N,N^FD9405500000000000000023^FS^XZ"
SHIPMENT_ID = "shp_6bd4a0d1a1e44a29b4c5e14d2a9a3b0c"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- built-in -------------------------------------------------------------------------------------


def builtin() -> BuiltinCarrierAdapter:
    return BuiltinCarrierAdapter(demo_carriers(), now=lambda: datetime(2026, 11, 17, 14, 0, tzinfo=UTC),
                                 rng=random.Random(1))


def test_builtin_rates_are_cheapest_first_from_the_rate_tables() -> None:
    rates = builtin().rates(SHIPMENT)
    assert len(rates) >= 3
    assert [r.price.minor for r in rates] == sorted(r.price.minor for r in rates)
    assert {r.carrier for r in rates} == {"ups", "usps"}
    assert all(r.delivery_date is not None and r.explanation for r in rates)


def test_builtin_buy_returns_a_valid_tracking_number_and_both_label_formats() -> None:
    adapter = builtin()
    rate = next(r for r in adapter.rates(SHIPMENT) if r.rate_id == "ups/ground")
    label = adapter.buy(SHIPMENT, rate)
    assert validate(label.tracking_number, "ups").valid
    assert label.cost == rate.price
    text = PdfReader(io.BytesIO(label.label_pdf)).pages[0].extract_text()
    assert label.tracking_number in text and "Jurgen Muller" in text and "ORD-1001" in text
    assert label.label_zpl is not None and f"^FD{label.tracking_number}^FS" in label.label_zpl
    assert adapter.void(label).accepted
    assert adapter.track(label.tracking_number) == []


def test_builtin_refuses_an_unknown_carrier() -> None:
    bogus = CarrierRate("builtin", "pony_express/gallop", "pony_express", "gallop", Money(100, "USD"))
    with pytest.raises(DomainError) as caught:
        builtin().buy(SHIPMENT, bogus)
    assert caught.value.code is ErrorCode.CARRIER_ERROR


def test_both_adapters_satisfy_the_interface() -> None:
    adapters: list[CarrierAdapter] = [builtin(), EasyPostAdapter("k", httpx.Client(transport=httpx.MockTransport(
        lambda r: httpx.Response(500))))]
    assert [a.name for a in adapters] == ["builtin", "easypost"]


# --- EasyPost ---------------------------------------------------------------------------------------


class RecordedEasyPost:
    """Serves the recorded responses and keeps every request for the assertions."""

    def __init__(self, overrides: dict[tuple[str, str], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.routes = {
            ("POST", "/v2/shipments"): httpx.Response(201, json=fixture("shipment_create.json")),
            ("POST", f"/v2/shipments/{SHIPMENT_ID}/buy"): httpx.Response(200, json=fixture("shipment_buy.json")),
            ("GET", f"/v2/shipments/{SHIPMENT_ID}/label"): httpx.Response(200, json=fixture("shipment_label_zpl.json")),
            ("POST", f"/v2/shipments/{SHIPMENT_ID}/refund"): httpx.Response(200, json=fixture("shipment_refund.json")),
            ("POST", "/v2/trackers"): httpx.Response(201, json=fixture("tracker_create.json")),
            ("GET", "/files/postage_label/20261117/e8a1.pdf"): httpx.Response(200, content=PDF_BYTES),
            ("GET", "/files/postage_label/20261117/e8a1.zpl"): httpx.Response(200, text=ZPL_TEXT),
        } | (overrides or {})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.routes.get((request.method, request.url.path), httpx.Response(404, json={"error": {
            "code": "NOT_FOUND", "message": "no recorded response"}}))

    def adapter(self, **kwargs: Any) -> EasyPostAdapter:
        return EasyPostAdapter("EZTK_test_key", client=httpx.Client(transport=httpx.MockTransport(self)), **kwargs)

    def body(self, index: int) -> Any:
        return json.loads(self.requests[index].content)


def test_easypost_rates_send_the_documented_request_and_parse_rates() -> None:
    api = RecordedEasyPost()
    rates = api.adapter().rates(SHIPMENT)
    sent = api.requests[0]
    assert sent.url == "https://api.easypost.com/v2/shipments"
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(b"EZTK_test_key:").decode()
    shipment = api.body(0)["shipment"]
    assert shipment["to_address"]["zip"] == "94105" and shipment["to_address"]["residential"] is True
    assert shipment["from_address"]["street1"] == "350 5th Ave"
    assert shipment["parcel"] == {"weight": 65.3, "length": 11.82, "width": 7.88, "height": 5.91}  # oz and inches
    assert shipment["options"]["label_format"] == "PDF"
    assert [(r.carrier, r.service, str(r.price)) for r in rates] == [
        ("usps", "Priority", "11.35 USD"), ("ups", "Ground", "18.72 USD"), ("usps", "Express", "47.90 USD"),
        ("dhl", "ExpressWorldwideNonDoc", "62.41 USD")]
    assert rates[1].delivery_date is not None and rates[1].delivery_date.isoformat() == "2026-11-24"
    assert rates[3].delivery_days == 1  # est_delivery_days when delivery_days is null
    assert {r.shipment_ref for r in rates} == {SHIPMENT_ID}


def test_easypost_buy_fetches_the_pdf_and_the_zpl_label() -> None:
    api = RecordedEasyPost()
    adapter = api.adapter()
    rate = adapter.rates(SHIPMENT)[0]
    label = adapter.buy(SHIPMENT, rate)
    assert api.body(1) == {"rate": {"id": "rate_usps_priority_02"}}
    assert (label.tracking_number, label.carrier, label.service) == ("9405500000000000000023", "usps", "Priority")
    assert validate(label.tracking_number, "usps").valid
    assert label.cost == Money(1135, "USD")
    assert label.label_pdf == PDF_BYTES and label.label_zpl == ZPL_TEXT
    assert label.provider_ref == SHIPMENT_ID
    assert api.requests[2].url.params["file_format"] == "ZPL"


def test_easypost_void_submits_a_refund_and_reports_a_refusal() -> None:
    api = RecordedEasyPost()
    adapter = api.adapter(want_zpl=False)
    label = adapter.buy(SHIPMENT, adapter.rates(SHIPMENT)[0])
    assert label.label_zpl is None
    result = adapter.void(label)
    assert (result.accepted, result.status) == (True, "submitted")
    refused = RecordedEasyPost({("POST", f"/v2/shipments/{SHIPMENT_ID}/refund"): httpx.Response(
        422, json=fixture("error_refund.json"))}).adapter().void(label)
    assert (refused.accepted, refused.status) == (False, "rejected")
    assert "already been scanned" in refused.message


def test_easypost_errors_become_carrier_errors_with_the_providers_code() -> None:
    api = RecordedEasyPost({("POST", "/v2/shipments"): httpx.Response(422, json=fixture("error_address.json"))})
    with pytest.raises(EasyPostError) as caught:
        api.adapter().rates(SHIPMENT)
    assert caught.value.code is ErrorCode.CARRIER_ERROR
    assert caught.value.extra["provider_code"] == "ADDRESS.VERIFY.FAILURE"
    assert "Unable to verify address" in caught.value.detail


def test_easypost_network_failure_is_a_carrier_error() -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    adapter = EasyPostAdapter("k", client=httpx.Client(transport=httpx.MockTransport(offline)))
    with pytest.raises(EasyPostError) as caught:
        adapter.track("EZ4000000004")
    assert caught.value.extra["provider_code"] == "NETWORK"


def test_easypost_tracking_maps_details_to_canonical_events() -> None:
    api = RecordedEasyPost()
    events = api.adapter().track("EZ4000000004", carrier="usps")
    assert api.body(0) == {"tracker": {"tracking_code": "EZ4000000004", "carrier": "USPS"}}
    assert [e.status for e in events] == ["pre_transit", "pre_transit", "in_transit", "out_for_delivery", "delivered"]
    delivered = events[-1]
    assert delivered.occurred_at == datetime(2026, 10, 20, 16, 17, tzinfo=UTC)
    assert (delivered.city, delivered.region, delivered.postal_code, delivered.country) == (
        "CHARLESTON", "SC", "29401", "US")
    assert delivered.source == "easypost" and delivered.carrier == "usps"


def test_easypost_webhook_tracker_event_gives_canonical_events() -> None:
    events = events_from_webhook(fixture("webhook_tracker_updated.json"))
    assert [(e.status, e.raw_status) for e in events] == [("in_transit", "in_transit"), ("exception", "failure")]
    assert events[0].tracking_number == "1Z999AA10123456784" and events[0].carrier == "ups"
    assert events_from_webhook({"object": "Event", "description": "batch.updated", "result": {}}) == []
