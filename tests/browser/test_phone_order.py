"""A phone order: find the past customer, search a SKU and see its availability per location,
override a price (refused without a reason), check the delivery promise, place it."""

from __future__ import annotations

from playwright.sync_api import expect

from conveyor.orders import handlers
from conveyor.orders.commands import Address
from conveyor.orders.service import get_order
from tests.helpers import order_cmd


def test_phone_order_with_customer_lookup_availability_and_a_price_override(admin, container):
    address = Address(name="Ada Lovelace", line1="350 5th Ave", city="New York", region="NY", postal_code="10118",
                      country="US")
    handlers.place_order(container, order_cmd({"SKU-B": 1}, customer_name="Ada Lovelace",
                                              customer_email="ada@example.com", shipping_address=address),
                         actor="test")
    page = admin.page
    admin.go("/orders")
    page.get_by_role("link", name="+ New phone order").click()
    page.get_by_label("E-mail, phone or name").fill("ada@example.com")
    page.get_by_role("button", name="Find").click()
    page.locator("#customers").get_by_role("link", name="use").click()
    expect(page.get_by_label("Customer name")).to_have_value("Ada Lovelace")
    expect(page.get_by_label("Street", exact=True)).to_have_value("350 5th Ave")

    page.get_by_label("SKU or name").fill("SKU-A")
    expect(page.locator('#sku-results tr[data-sku="SKU-A"] .atp')).to_contain_text("WH1: 20")

    page.get_by_label("SKU, line 1").fill("SKU-A")
    page.get_by_label("Quantity, line 1").fill("2")
    page.get_by_label("Price, line 1").fill("8.00")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("alert")).to_contain_text("reason")
    page.get_by_label("Reason, line 1").fill("loyal customer")
    page.get_by_role("button", name="Check availability and delivery date").click()
    expect(page.locator("#promise")).to_be_visible()
    expect(page.locator("#phone-lines")).to_contain_text("WH1: 20")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator(".flash")).to_have_text("Phone order placed.")
    order_id = page.url.rsplit("/", 1)[1]
    with container.reader() as uow:
        order = get_order(uow, order_id)
        assert (order.customer_email, order.status) == ("ada@example.com", "allocated")
        assert [(li.sku_code, li.quantity, li.unit_price_minor) for li in order.lines] == [("SKU-A", 2, 800)]
