import subprocess
import sys
import threading
import time
from importlib import resources

from routing_helpers import CHICAGO, LA, loc

from conveyor.routing import geo, ziptable
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


# The compact ZIP table (routing.ziptable): same data as `zipcodes`, built once, loaded lazily.


def test_shipped_zip_table_holds_exactly_the_zipcodes_package_centroids():
    shipped = ziptable.decode(resources.files("conveyor.routing").joinpath(ziptable.DATA).read_bytes())
    assert shipped == ziptable.from_zipcodes()
    assert len(shipped) > 40_000
    assert ziptable.decode(ziptable.encode(shipped)) == shipped


def test_zip_table_is_built_once_when_threads_race_for_it(monkeypatch):
    monkeypatch.setattr(ziptable, "_table", None)
    monkeypatch.setattr(ziptable, "builds", 0)
    real_load, calls = ziptable._load, []

    def slow_load():
        calls.append(threading.get_ident())
        time.sleep(0.05)  # widen the window in which the other threads arrive
        return real_load()

    monkeypatch.setattr(ziptable, "_load", slow_load)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(geo.zip_point("60601"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and ziptable.builds == 1
    assert len(results) == 8 and len(set(results)) == 1 and results[0] is not None


def test_damaged_zip_table_file_falls_back_to_the_zipcodes_package(monkeypatch):
    def damaged(data: bytes) -> ziptable.ZipTable:
        raise ValueError("not a ZIP centroid table")

    monkeypatch.setattr(ziptable, "decode", damaged)
    table = ziptable._load()
    assert table.point("10001") == (40.7484, -73.9967)


def test_warm_up_loads_the_tables_before_the_first_order(monkeypatch):
    monkeypatch.setattr(ziptable, "_table", None)
    geo.warm_up()
    assert ziptable._table is not None


def test_importing_rules_and_strategies_loads_neither_scipy_nor_zipcodes():
    code = (
        "import sys\n"
        "import conveyor.routing.rules, conveyor.routing.strategies\n"
        "assert 'scipy' not in sys.modules and 'zipcodes' not in sys.modules, 'imported too early'\n"
        "from conveyor.routing.geo import locate\n"
        "from conveyor.routing.model import Candidate, Component, Destination, RequestLine, RoutingRequest\n"
        "assert locate(Destination(postal_code='10001')).precision == 'postal_code'\n"
        "assert 'zipcodes' not in sys.modules, 'the shipped table needs no zipcodes'\n"
        "from conveyor.routing.strategies import lowest_cost, optimal\n"
        "req = RoutingRequest((RequestLine('l1', 'A', 1, (Component('A'),), 500),), Destination(postal_code='10001'))\n"
        "cands = [Candidate('loc_1', 'NY', 1, {'A': 2}, 40.75, -73.99),\n"
        "         Candidate('loc_2', 'LA', 1, {'A': 2}, 34.05, -118.24)]\n"
        "lowest_cost(req, cands)\n"
        "assert 'scipy' not in sys.modules, 'lowest_cost needs no scipy'\n"
        "optimal(req, cands)\n"
        "assert 'scipy' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
