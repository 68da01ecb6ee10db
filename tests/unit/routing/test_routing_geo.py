from routing_helpers import CHICAGO, LA, loc

from conveyor.routing.geo import country_point, distance, locate, region_point, zip_point
from conveyor.routing.model import Destination


def test_coordinates_on_destination_win_over_postal_code():
    point = locate(Destination(postal_code="90012", latitude=40.0, longitude=-75.0))
    assert (point.latitude, point.longitude, point.precision) == (40.0, -75.0, "coordinates")


def test_us_zip_uses_its_centroid_and_zip_plus_four_works():
    assert locate(Destination(postal_code="10001-2345")).precision == "postal_code"
    lat, lon = zip_point("10001")
    assert abs(lat - 40.75) < 0.05 and abs(lon + 74.0) < 0.05


def test_new_york_to_los_angeles_is_about_3900_km():
    d = distance(Destination(postal_code="10001"), loc("LA", LA, {}))
    assert d.precision == "postal_code" and 3850 < d.km < 4000


def test_unknown_zip_falls_back_to_state_then_country():
    assert locate(Destination(postal_code="00000", region="IL")).precision == "region"
    assert locate(Destination(postal_code="abc")).precision == "country"
    assert region_point("US", "Illinois") == region_point("US", "il")


def test_canadian_province_and_other_countries():
    assert locate(Destination(country="CA", region="ON")).precision == "region"
    assert locate(Destination(country="DE", postal_code="10115")).precision == "country"
    assert country_point("JP") is not None


def test_unknown_country_or_location_without_coordinates_gives_no_distance():
    assert locate(Destination(country="ZZ")).precision == "unknown"
    assert distance(Destination(country="ZZ"), loc("CHI", CHICAGO, {})).km is None
    d = distance(Destination(postal_code="10001"), loc("NOWHERE", None, {}))
    assert (d.km, d.precision) == (None, "unknown")
