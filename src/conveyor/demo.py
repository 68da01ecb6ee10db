"""Demo data: a believable small merchant, so every screen and report has something to show.

3 channels, 4 locations in real US cities, ~150 SKUs (a few kits), starting stock, and a few
hundred orders spread over the last six weeks in every state of their life. Deterministic (seeded).
Money too: web orders pay by card through the built-in test gateway (a few are declined and wait on
hold `payment_failed`), Amazon orders are paid on Amazon, phone orders pay cash; shipments capture
and invoice, cancellations and a few goodwill refunds issue credit notes.
"""

from __future__ import annotations

import random
import secrets
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import text

from conveyor.auth.handlers import create_key, create_user
from conveyor.bootstrap import Container
from conveyor.catalog.handlers import create_product
from conveyor.catalog.service import SkuData
from conveyor.channels.handlers import create_channel
from conveyor.inventory.handlers import create_location, receive
from conveyor.inventory.locations import LocationData
from conveyor.orders import handlers as orders
from conveyor.orders.commands import Address, LineInput, PaymentInput, PlaceOrder
from conveyor.orders.service import get_order
from conveyor.payments import flows as payment_flows
from conveyor.payments import handlers as payments
from conveyor.payments.gateway import PaymentSource
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError
from conveyor.shared.handlers import run
from conveyor.shared.uow import UnitOfWork

DEMO_ADMIN = "admin"  # the dashboard login `conveyor demo` creates (and `make run` prints)

LOCATIONS = [
    LocationData("NJ-EWR", "Newark fulfilment centre", "warehouse", "100 Port St", "", "Newark", "NJ", "07114",
                 "US", 40.7040, -74.1620, priority=10, daily_capacity=2000),
    LocationData("TX-DAL", "Dallas 3PL (ShipRight)", "3pl", "2400 Irving Blvd", "", "Dallas", "TX", "75207",
                 "US", 32.7940, -96.8330, priority=20, daily_capacity=1500),
    LocationData("CA-ONT", "Ontario CA warehouse", "warehouse", "1500 S Milliken Ave", "", "Ontario", "CA",
                 "91761", "US", 34.0430, -117.5600, priority=30, daily_capacity=1800),
    LocationData("IL-CHI", "Chicago flagship store", "store", "900 N Michigan Ave", "", "Chicago", "IL", "60611",
                 "US", 41.8990, -87.6240, can_pickup=True, priority=40, daily_capacity=200),
]

CATEGORIES = {
    "TEE": ("Organic cotton tee", ["S", "M", "L", "XL"], 2400),
    "HOOD": ("Heavyweight hoodie", ["S", "M", "L", "XL"], 6800),
    "SOCK": ("Merino hiking socks", ["S", "M", "L"], 1800),
    "CAP": ("Canvas cap", ["OS"], 2200),
    "MUG": ("Stoneware mug", ["12OZ", "16OZ"], 1600),
    "BOTL": ("Insulated bottle", ["500ML", "750ML", "1L"], 3200),
    "TOTE": ("Waxed canvas tote", ["OS"], 4500),
    "CNDL": ("Soy candle", ["CEDAR", "CITRUS", "LAVENDER"], 2800),
    "JKT": ("Packable rain jacket", ["S", "M", "L", "XL"], 12900),
    "BEAN": ("Ribbed beanie", ["OS"], 2600),
    "NBK": ("Linen notebook", ["A5", "A6"], 1400),
}
COLOURS = ["BLK", "NVY", "OLV", "SND", "RST"]

CUSTOMERS = ["Ava Johnson", "Liam Smith", "Mia Garcia", "Noah Brown", "Emma Davis", "Lucas Miller",
             "Sofia Wilson", "Ethan Moore", "Isabella Taylor", "Mason Anderson", "Amelia Thomas",
             "Logan Jackson", "Harper White", "James Harris", "Evelyn Martin", "Benjamin Lee"]
DESTINATIONS = [("10001", "New York", "NY"), ("02108", "Boston", "MA"), ("19103", "Philadelphia", "PA"),
                ("30303", "Atlanta", "GA"), ("33101", "Miami", "FL"), ("60614", "Chicago", "IL"),
                ("48226", "Detroit", "MI"), ("55401", "Minneapolis", "MN"), ("77002", "Houston", "TX"),
                ("78701", "Austin", "TX"), ("80202", "Denver", "CO"), ("85004", "Phoenix", "AZ"),
                ("98101", "Seattle", "WA"), ("97205", "Portland", "OR"), ("94103", "San Francisco", "CA"),
                ("90012", "Los Angeles", "CA"), ("92101", "San Diego", "CA"), ("37203", "Nashville", "TN")]


def is_empty(c: Container) -> bool:
    with c.reader() as uow:
        return not uow.session.execute(text("SELECT 1 FROM orders LIMIT 1")).first() and not uow.session.execute(
            text("SELECT 1 FROM channels LIMIT 1")).first()


def load_demo(c: Container, orders: int = 300, seed: int = 7,
              progress: Callable[[str], None] = lambda _: None) -> dict:
    rng = random.Random(seed)
    create_channel(c, code="web", name="Web shop", type="native", currency="USD", backorder_policy="reject")
    create_channel(c, code="amazon", name="Amazon US", type="amazon", currency="USD", backorder_policy="backorder")
    create_channel(c, code="phone", name="Phone orders", type="phone", currency="USD", backorder_policy="backorder")
    for data in LOCATIONS:
        create_location(c, data)
    progress("channels and locations")
    skus = _catalog(c)
    progress(f"{len(skus)} SKUs")
    _stock(c, rng, [s for s in skus if not s.startswith("KIT")])
    progress("starting stock")
    placed = _orders(c, rng, skus, orders)
    progress(f"{placed} orders")
    _, token = create_key(c, "admin", "demo admin")
    password = secrets.token_urlsafe(12)  # random per database: a demo left running is not an open door
    create_user(c, DEMO_ADMIN, password, "admin", "Demo admin")
    return {"skus": len(skus), "orders": placed, "admin_token": token, "admin_username": DEMO_ADMIN,
            "admin_password": password}


def _catalog(c: Container) -> list[str]:
    codes = []
    for short, (name, sizes, price) in CATEGORIES.items():
        for colour in COLOURS:
            variants = [SkuData(code=f"{short}-{colour}-{size}", name=f"{name} {colour} {size}", price_minor=price,
                                barcode=f"0{zlib.crc32(f'{short}{colour}{size}'.encode()):012d}",
                                weight_grams=150 + 40 * len(codes) % 900)
                        for size in sizes]
            create_product(c, f"{name} ({colour})", variants)
            codes += [v.code for v in variants]
    kits = {"KIT-CAMP": {"MUG-BLK-12OZ": 2, "BOTL-BLK-750ML": 1, "SOCK-BLK-M": 2},
            "KIT-COZY": {"HOOD-NVY-M": 1, "SOCK-NVY-M": 1, "CNDL-NVY-CEDAR": 1},
            "KIT-GIFT": {"TEE-OLV-M": 1, "MUG-SND-16OZ": 1},
            "KIT-TRAVEL": {"TOTE-OLV-OS": 1, "BOTL-OLV-500ML": 1, "CAP-OLV-OS": 1}}
    for code, parts in kits.items():
        create_product(c, f"Bundle {code[4:].title()}", [SkuData(code=code, name=f"{code[4:].title()} bundle",
                                                                 price_minor=9900, kit_components=parts)])
        codes.append(code)
    return codes


def _stock(c: Container, rng: random.Random, codes: list[str]) -> None:
    for code in codes:
        for loc in LOCATIONS:
            if rng.random() < (0.9 if loc.type != "store" else 0.5):
                receive(c, code, loc.code, rng.randint(5, 120), actor="demo", reference="opening-stock")


def _orders(c: Container, rng: random.Random, skus: list[str], count: int) -> int:
    placed = 0
    now = utcnow()
    for n in range(count):
        cmd = _random_order(rng, skus, n)
        try:
            order = orders.place_order(c, cmd, actor="demo").order  # type: ignore[union-attr]
        except DomainError:
            continue
        placed += 1
        age = timedelta(days=42 * (count - n) / count, minutes=rng.randint(0, 600))
        _pay_offline(c, order.id, cmd.channel)
        _advance(c, order.id, age, rng)
        _goodwill(c, order.id, rng)
        _backdate(c, order.id, now - age)
    return placed


def _backdate(c: Container, order_id: str, created: datetime) -> None:
    """Demo history: the order (and its timeline) happened `created`, not now."""
    def backdate(uow: UnitOfWork) -> None:
        for table, columns in (("orders", "created_at = :t, updated_at = :t"), ("order_events", "created_at = :t")):
            key = "id" if table == "orders" else "order_id"
            uow.session.execute(text(f"UPDATE {table} SET {columns} WHERE {key} = :id"), {"t": created, "id": order_id})

    run(c.uow, backdate)


def _random_order(rng: random.Random, skus: list[str], n: int) -> PlaceOrder:
    channel = rng.choices(["web", "amazon", "phone"], weights=[6, 3, 1])[0]
    name = rng.choice(CUSTOMERS)
    zip_code, city, region = rng.choice(DESTINATIONS)
    address = Address(name=name, line1=f"{rng.randint(1, 999)} Main St", city=city, region=region,
                      postal_code=zip_code, country="US")
    lines = {}
    for code in rng.sample(skus, rng.choice([1, 1, 1, 2, 2, 3])):
        lines[code] = rng.choice([1, 1, 1, 2, 3])
    email = name.lower().replace(" ", ".") + "@example.com"
    external = f"{'112-' if channel == 'amazon' else 'W'}{100000 + n}" if channel != "phone" else None
    card = DECLINED_CARD if rng.random() < 0.04 else VISA
    return PlaceOrder(channel=channel, currency="USD", external_id=external, customer_name=name,
                      customer_email=email, shipping_address=address, billing_address=address,
                      shipping_minor=rng.choice([0, 499, 899]),
                      payment=PaymentInput("test", "card", card) if channel == "web" else None,
                      lines=[LineInput(sku=code, quantity=q, unit_price_minor=_price(code))
                             for code, q in lines.items()])


VISA, DECLINED_CARD = "4242424242424242", "4000000000009995"  # the test gateway's cards (docs/money.md)


def _pay_offline(c: Container, order_id: str, channel: str) -> None:
    """Amazon took the money itself; a phone customer paid cash when the order was taken."""
    try:
        if channel == "amazon":
            run(c.uow, lambda uow: payment_flows.record_channel_payment(uow, order_id, "demo"))
        elif channel == "phone":
            with c.reader() as uow:
                total = get_order(uow, order_id).total_minor
            payments.authorize(c, order_id, provider="manual", source=PaymentSource("cash"), amount_minor=total,
                               idempotency_key="demo-cash", actor="demo", charge=True)
    except DomainError:
        return


def _goodwill(c: Container, order_id: str, rng: random.Random) -> None:
    """Now and then support gives a little back (a late parcel): a refund and its credit note."""
    if rng.random() >= 0.06:
        return
    try:
        payments.refund_order(c, order_id, amount_minor=500, reason="goodwill: the parcel was late",
                              idempotency_key="demo-goodwill", actor="demo")
    except DomainError:
        return  # nothing captured yet


def _price(code: str) -> int:
    if code.startswith("KIT"):
        return 9900
    return CATEGORIES[code.split("-")[0]][2]


def _advance(c: Container, order_id: str, age: timedelta, rng: random.Random) -> None:
    """Older orders have moved further along: shipped, delivered, completed, or cancelled."""
    roll = rng.random()
    try:
        if roll < 0.05:
            orders.cancel_order(c, order_id, reason="customer changed their mind", actor="demo")
            return
        if age < timedelta(days=2) and roll < 0.7:
            return
        with c.reader() as uow:
            order = get_order(uow, order_id)
            locations = sorted({a.location_id for a in order.allocations if a.quantity})
        for location_id in locations:
            orders.ship_order(c, order_id, location=location_id, carrier="UPS",
                              tracking_number=f"1Z{rng.randint(10**9, 10**10)}", actor="demo")
        if age > timedelta(days=5) and locations:
            orders.deliver(c, order_id, None, actor="demo")
            if age > timedelta(days=14):
                orders.complete(c, order_id, actor="demo")
    except DomainError:
        return
