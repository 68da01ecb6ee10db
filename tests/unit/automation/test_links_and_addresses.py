"""Pure helpers of the automation flow: tracking links for e-mails, the address key behind the
risk score's repeat-address count, and when scheduled jobs are due."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from conveyor.automation.tracking_links import tracking_url
from conveyor.messaging.schedule import Job
from conveyor.orders.addresses import address_key
from conveyor.orders.commands import Address


def test_tracking_links_use_the_carrier_page_the_shop_template_or_the_shop():
    assert tracking_url("UPS", "1Z999AA10123456784") == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert tracking_url("dhl", "0034 0434").endswith("tracking-id=0034%200434")
    assert tracking_url("ups", "1Z9", template="https://t.example/{carrier}/{tracking_number}") == \
        "https://t.example/ups/1Z9"
    assert tracking_url("Acme Freight", "A1", fallback="https://shop.example") == "https://shop.example"
    assert tracking_url("ups", "", fallback="https://shop.example") == "https://shop.example"


def test_one_address_written_two_ways_has_one_key_and_the_name_does_not_matter():
    a = Address(name="Ann", line1="12 Main Street", line2="Apt 4", postal_code="10001", country="US")
    b = Address(name="Bob", line1="12 main st.", line2="apartment 4", postal_code="10001 ", country="us")
    c = Address(line1="12 Main Street", line2="Apt 5", postal_code="10001", country="US")
    assert address_key(a) == address_key(b) != address_key(c)
    assert address_key({"line1": "Straße 1", "postal_code": "10115", "country": "DE"}) == \
        address_key(Address(line1="STRASSE 1", postal_code="10115", country="DE"))
    assert address_key(Address(country="US")) is None and address_key(None) is None


def test_jobs_are_due_on_their_interval_or_each_night_at_their_time():
    now = datetime(2030, 5, 1, 1, 30, tzinfo=UTC)
    assert Job("x", lambda c, n: 0, every=timedelta(minutes=5)).next_due(now) == now + timedelta(minutes=5)
    nightly = Job("n", lambda c, n: 0, daily_at=time(2, 0))
    assert nightly.next_due(now) == datetime(2030, 5, 1, 2, 0, tzinfo=UTC)
    assert nightly.next_due(datetime(2030, 5, 1, 2, 0, tzinfo=UTC)) == datetime(2030, 5, 2, 2, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        Job("bad", lambda c, n: 0)
