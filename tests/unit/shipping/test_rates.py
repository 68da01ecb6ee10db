"""Rate tables, rate shopping and the checkout delivery promise."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shipping.carriers import carrier_from_dict, demo_carriers
from conveyor.shipping.rates import (
    Parcel,
    Place,
    RateRequest,
    ServiceUnavailable,
    billable_grams,
    delivery_promise,
    quote,
    shop,
)

NEW_YORK = ZoneInfo("America/New_York")
ORIGIN = Place("US", "10001", latitude=40.7506, longitude=-73.9972, timezone="America/New_York")
NEAR = Place("US", "19103", latitude=39.9523, longitude=-75.1638)  # Philadelphia, ~130 km
FAR = Place("US", "94105", latitude=37.7898, longitude=-122.3942)  # San Francisco, ~4,130 km
TUESDAY_MORNING = datetime(2026, 11, 17, 9, 0, tzinfo=NEW_YORK)

PARCEL_CARRIER: dict[str, Any] = {
    "code": "parcelco", "name": "ParcelCo", "currency": "USD", "cutoff": "17:00", "holiday_country": "US",
    "services": [
        {"code": "ground", "name": "Ground", "zoning": "distance", "dim_divisor": 5000,
         "residential_surcharge": "4.00", "remote_surcharge": "3.00", "remote_postal_prefixes": ["941"],
         "max_weight_grams": 10000,
         "zones": [{"code": "A", "max_km": 500, "transit_days": 1}, {"code": "B", "max_km": 5000, "transit_days": 4}],
         "weight_breaks": [{"max_grams": 1000, "prices": {"A": "6.00", "B": "9.00"}},
                           {"max_grams": 5000, "prices": {"A": "8.00", "B": "14.00"}},
                           {"max_grams": 10000, "prices": {"A": "12.00", "B": "21.00"}}]},
        {"code": "express", "name": "Express", "zoning": "distance", "cutoff": "19:00",
         "zones": [{"code": "A", "max_km": 5000, "transit_days": 1}],
         "weight_breaks": [{"max_grams": 10000, "prices": {"A": "30.00"}}]},
    ],
}
POSTAL_CARRIER: dict[str, Any] = {
    "code": "post", "name": "Post", "currency": "USD", "cutoff": "15:00", "holiday_country": "US",
    "services": [
        {"code": "standard", "name": "Standard", "zoning": "postal_prefix",
         "zones": [{"code": "1", "postal_prefixes": ["1"], "transit_days": 2},
                   {"code": "8", "postal_prefixes": ["9"], "transit_days": 5},
                   {"code": "8x", "postal_prefixes": ["941"], "transit_days": 6}],
         "weight_breaks": [{"max_grams": 5000, "prices": {"1": "5.00", "8": "9.00", "8x": "9.00"}}]},
    ],
}


def carriers() -> tuple:
    return carrier_from_dict(PARCEL_CARRIER), carrier_from_dict(POSTAL_CARRIER)


def request(dest: Place = FAR, *parcels: Parcel, residential: bool = False) -> RateRequest:
    return RateRequest(ORIGIN, dest, parcels or (Parcel(800),), residential=residential)


def test_distance_bands_pick_the_zone_and_its_transit_days() -> None:
    parcel_co = carriers()[0]
    near = quote(parcel_co, parcel_co.service("ground"), request(NEAR), TUESDAY_MORNING)
    far = quote(parcel_co, parcel_co.service("ground"), request(Place("US", "94016", latitude=37.7, longitude=-122.4)),
                TUESDAY_MORNING)
    assert (near.zone, near.total_minor, near.delivery_date) == ("A", 600, date(2026, 11, 18))
    assert (far.zone, far.total_minor, far.delivery_date) == ("B", 900, date(2026, 11, 23))


def test_postal_prefix_zones_use_the_longest_matching_prefix() -> None:
    post = carriers()[1]
    assert quote(post, post.service("standard"), request(FAR), TUESDAY_MORNING).zone == "8x"
    assert quote(post, post.service("standard"), request(Place("US", "98101")), TUESDAY_MORNING).zone == "8"
    with pytest.raises(ServiceUnavailable, match="no zone for postal code"):
        quote(post, post.service("standard"), request(Place("US", "30301")), TUESDAY_MORNING)


def test_dimensional_weight_is_billed_when_it_exceeds_the_actual_weight() -> None:
    box = Parcel(900, 400, 300, 200)  # 24,000 cm³ / 5000 = 4.8 kg
    assert billable_grams(box, 5000) == 4800
    assert billable_grams(box, None) == 900
    parcel_co = carriers()[0]
    q = quote(parcel_co, parcel_co.service("ground"), request(NEAR, box), TUESDAY_MORNING)
    assert q.billable_grams == 4800
    assert q.total_minor == 800  # the 5 kg break, not the 1 kg one
    assert "dimensional" in q.explanation


def test_residential_and_remote_surcharges_apply_per_parcel() -> None:
    parcel_co = carriers()[0]
    q = quote(parcel_co, parcel_co.service("ground"), request(FAR, Parcel(800), Parcel(800), residential=True),
              TUESDAY_MORNING)
    assert [(c.label, c.minor) for c in q.charges] == [("base", 1800), ("residential", 800), ("remote area", 600)]
    assert str(q.price) == "32.00 USD"
    assert "residential 8.00" in q.explanation


def test_a_parcel_over_the_weight_limit_is_unavailable_with_the_reason() -> None:
    parcel_co = carriers()[0]
    with pytest.raises(ServiceUnavailable) as caught:
        quote(parcel_co, parcel_co.service("ground"), request(NEAR, Parcel(12000)), TUESDAY_MORNING)
    assert caught.value.code is ErrorCode.SERVICE_UNAVAILABLE
    assert "over the 10 kg limit" in caught.value.reason


def test_shop_lists_services_meeting_the_promise_cheapest_first() -> None:
    result = shop(carriers(), request(FAR), TUESDAY_MORNING)
    # ground is 9.00 + 3.00 remote-area surcharge for 941xx, the post 9.00, express 30.00
    assert [(q.carrier, q.service, q.total_minor) for q in result.quotes] == [
        ("post", "standard", 900), ("parcelco", "ground", 1200), ("parcelco", "express", 3000)]
    promised = shop(carriers(), request(FAR), TUESDAY_MORNING, promised_by=date(2026, 11, 20))
    assert [(q.carrier, q.service) for q in promised.quotes] == [("parcelco", "express")]
    assert all(q.meets_promise for q in promised.quotes)
    left_out = {(u.carrier, u.service): u.reason for u in promised.unavailable}
    assert left_out[("parcelco", "ground")] == "delivers 2026-11-23, after the promised 2026-11-20"


def test_shop_breaks_price_ties_by_the_faster_service() -> None:
    slow = copy.deepcopy(POSTAL_CARRIER)
    slow["code"] = "slowpost"
    fast = copy.deepcopy(POSTAL_CARRIER)
    fast["code"] = "zfast"
    fast["services"][0]["zones"][2]["transit_days"] = 1
    result = shop((carrier_from_dict(slow), carrier_from_dict(fast)), request(FAR), TUESDAY_MORNING)
    assert [q.carrier for q in result.quotes] == ["zfast", "slowpost"]


def test_shop_across_a_holiday_and_a_missed_cutoff() -> None:
    # Wednesday before Thanksgiving at 17:30: ground missed its 17:00 cut-off, express (19:00) did not.
    now = datetime(2026, 11, 25, 17, 30, tzinfo=NEW_YORK)
    result = shop(carriers()[:1], request(NEAR), now)
    by_service = {q.service: q for q in result.quotes}
    assert by_service["ground"].estimate.ship_date == date(2026, 11, 27)
    assert by_service["ground"].delivery_date == date(2026, 11, 30)
    assert by_service["express"].estimate.ship_date == date(2026, 11, 25)
    assert by_service["express"].delivery_date == date(2026, 11, 27)


def test_delivery_promise_for_a_cart() -> None:
    now = datetime(2026, 11, 17, 17, 0, tzinfo=NEW_YORK)  # ground's cut-off just passed, express open till 19:00
    offer = delivery_promise(carriers(), request(FAR), now)
    assert offer is not None
    assert offer.service == "parcelco/express"
    assert offer.message(now) == "Order within 2 h, get it Wednesday"


def test_demo_carriers_load_and_quote() -> None:
    result = shop(demo_carriers(), request(FAR, Parcel(1200, 300, 200, 150), residential=True), TUESDAY_MORNING)
    assert {q.carrier for q in result.quotes} == {"ups", "usps"}
    assert ("dhl", "express_worldwide") in {(u.carrier, u.service) for u in result.unavailable}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("currency"), "currency"),
        (lambda d: d.update(currency="XYZ"), "currency"),
        (lambda d: d["services"][0].update(zoning="galaxy"), "services[0].zoning"),
        (lambda d: d["services"][0]["zones"][0].update(max_km=-5), "services[0].zones[0].max_km"),
        (lambda d: d["services"][0]["weight_breaks"][0]["prices"].update(Z="1.00"),
         "services[0].weight_breaks[0].prices"),
        (lambda d: d["services"][0]["weight_breaks"][1].update(max_grams=500), "services[0].weight_breaks"),
        (lambda d: d["services"][0]["weight_breaks"][0]["prices"].update(A="6.001"),
         "services[0].weight_breaks[0].prices.A"),
        (lambda d: d.update(cutoff="5pm"), "cutoff"),
        (lambda d: d.update(pickup_weekdays=[7]), "pickup_weekdays"),
        (lambda d: d["services"][1].update(code="ground"), "services"),
    ],
)
def test_invalid_carrier_data_names_the_bad_field(change: Any, field: str) -> None:
    data = copy.deepcopy(PARCEL_CARRIER)
    change(data)
    with pytest.raises(ValidationFailed) as caught:
        carrier_from_dict(data)
    assert caught.value.extra["field"] == field


def test_places_without_coordinates_use_the_us_zip_centroid_or_are_unavailable() -> None:
    parcel_co = carriers()[0]
    by_zip = quote(parcel_co, parcel_co.service("ground"), request(Place("US", "19103")), TUESDAY_MORNING)
    assert by_zip.zone == "A"  # Philadelphia is ~130 km from the New York origin
    with pytest.raises(ServiceUnavailable, match="distance to the destination is unknown"):
        quote(parcel_co, parcel_co.service("ground"), request(Place("FR", "75002")), TUESDAY_MORNING)
