"""A warehouse world for fulfilment tests: two shipping locations with addresses (Newark NJ, Los
Angeles CA) and a 3PL in Reno, products with dimensions and barcodes stocked at one location
each, bins, the demo carriers and standard boxes (restored: PostgreSQL test databases are
emptied between tests, migration seeds included)."""

from __future__ import annotations

from conveyor.bootstrap import Container
from conveyor.catalog.handlers import create_product
from conveyor.catalog.service import SkuData
from conveyor.fulfillment.handlers import assign_bins, put_box, seed_demo_carriers
from conveyor.fulfillment.setup import BoxData
from conveyor.inventory.handlers import create_location, receive
from conveyor.inventory.locations import LocationData
from conveyor.orders.commands import Address

MUG_GTIN = "4006381333931"  # a valid EAN-13 (GS1 check digit)
CUSTOMER = {"name": "Ada Lovelace", "line1": "350 5th Ave", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US"}
CUSTOMER_ADDRESS = Address(**CUSTOMER)


def seed_floor(container: Container) -> None:
    """Stock: MUG only in NJ (bin A-01-1-A), CAP only in CA (bin B-02-1-A), TEE at the 3PL."""
    seed_demo_carriers(container)
    for code, dims, tare in (("S", (220, 160, 100), 120), ("M", (310, 230, 150), 220), ("L", (450, 350, 250), 450)):
        put_box(container, BoxData(code, *dims, name=f"{code} box", max_weight_grams=20000, tare_grams=tare))
    create_location(container, LocationData(code="NJ", name="Newark DC", address_line1="1 Port St", city="Newark",
                                            region="NJ", postal_code="07102", latitude=40.7357,
                                            longitude=-74.1724, priority=1))
    create_location(container, LocationData(code="CA", name="LA DC", address_line1="9 Alameda St",
                                            city="Los Angeles", region="CA", postal_code="90021", latitude=34.03,
                                            longitude=-118.24, priority=2))
    create_location(container, LocationData(code="RENO3PL", name="Reno 3PL", type="3pl", address_line1="5 Ops Way",
                                            city="Reno", region="NV", postal_code="89502", latitude=39.5,
                                            longitude=-119.8, priority=3))
    for code, name, dims, grams, barcode in (("MUG", "Blue mug", (120, 90, 100), 350, MUG_GTIN),
                                             ("CAP", "Grey cap", (250, 180, 90), 120, None),
                                             ("TEE", "White tee", (300, 250, 20), 200, None)):
        create_product(container, name, [SkuData(code=code, name=name, price_minor=1500, barcode=barcode,
                                                 weight_grams=grams, length_mm=dims[0], width_mm=dims[1],
                                                 height_mm=dims[2])])
    receive(container, "MUG", "NJ", 10, actor="test")
    receive(container, "CAP", "CA", 10, actor="test")
    receive(container, "TEE", "RENO3PL", 10, actor="test")
    assign_bins(container, "NJ", {"MUG": "A-01-1-A"})
    assign_bins(container, "CA", {"CAP": "B-02-1-A"})
