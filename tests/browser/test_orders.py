"""Log in, the overview, the order list and an order's hold/release — on screen and in the database."""

from __future__ import annotations

from playwright.sync_api import expect

from conveyor.orders import handlers
from conveyor.orders.service import get_order
from tests.browser.conftest import PASSWORD, screenshot
from tests.helpers import order_cmd


def _place(container, lines, **extra):
    return handlers.place_order(container, order_cmd(lines, **extra), actor="test").order


def test_login_is_required_and_a_wrong_password_is_refused(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/orders")
    expect(page).to_have_url(f"{server}/login?next=/orders")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server}/orders")  # back where the login started
    cookie = next(c for c in context.cookies() if c["name"] == "conveyor_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{server}/login")
    page.goto(f"{server}/")
    expect(page).to_have_url(f"{server}/login?next=/")
    context.close()


def test_overview_shows_todays_orders_and_draws_its_charts(admin, container, tmp_path):
    _place(container, {"SKU-A": 2}, external_id="W-1")
    _place(container, {"SKU-B": 1}, external_id="W-2")
    admin.go("/")
    expect(admin.page.locator("#today-orders")).to_have_text("2")
    expect(admin.page.locator("#statuses")).to_contain_text("allocated")
    # Chart.js drew into the canvas (it sizes it): the vendored script loaded and ran.
    admin.page.wait_for_function("() => window.Chart && Chart.getChart('orders-chart') !== undefined")
    assert admin.page.evaluate("() => Chart.getChart('orders-chart').data.datasets[0].label") == "web"
    screenshot(admin, "overview", tmp_path)


def test_order_list_filters_and_an_order_is_held_then_released(admin, container, tmp_path):
    first = _place(container, {"SKU-A": 1}, external_id="W-100", customer_name="Ada Lovelace",
                   customer_email="ada@example.com")
    _place(container, {"SKU-B": 2}, external_id="W-200", customer_name="Grace Hopper",
           customer_email="grace@example.com")
    admin.go("/orders")
    rows = admin.page.locator("#order-table tbody tr")
    expect(rows).to_have_count(2)
    admin.page.get_by_label("Search").fill("Ada")
    admin.page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("W-100")
    admin.page.get_by_label("Search").fill("")
    admin.page.get_by_label("SKU").fill("SKU-B")
    admin.page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Grace Hopper")
    screenshot(admin, "orders", tmp_path)

    admin.go(f"/orders/{first.id}")
    admin.page.get_by_label("Hold reason").fill("customer asked to wait")
    admin.page.get_by_role("button", name="Hold", exact=True).click()
    expect(admin.page.locator("#order-status")).to_have_text("on_hold")
    expect(admin.page.locator(".flash")).to_have_text("Order held.")
    expect(admin.page.locator("#timeline")).to_contain_text("customer asked to wait")
    with container.reader() as uow:
        held = get_order(uow, first.id)
        assert (held.status, held.hold_reason) == ("on_hold", "customer asked to wait")
    screenshot(admin, "order", tmp_path)

    admin.page.get_by_role("button", name="Release hold").click()
    expect(admin.page.locator("#order-status")).to_have_text("allocated")
    with container.reader() as uow:
        assert get_order(uow, first.id).status == "allocated"

    admin.page.get_by_label("Add tags").fill("vip, gift")
    admin.page.get_by_role("button", name="Change tags").click()
    expect(admin.page.locator("#order-tags")).to_have_text("vip, gift")
    admin.go("/orders?tag=vip")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("W-100")
    with container.reader() as uow:
        assert get_order(uow, first.id).tags == ["vip", "gift"]


def test_the_shipping_address_is_corrected_before_anything_ships(admin, container):
    from conveyor.orders.commands import Address

    order = _place(container, {"SKU-A": 1}, shipping_address=Address(
        name="Ada", line1="1 Wrong St", city="New York", region="NY", postal_code="10001", country="US"))
    admin.go(f"/orders/{order.id}")
    admin.page.get_by_label("Street", exact=True).fill("350 5th Ave")
    admin.page.get_by_label("Postal code").fill("10118")
    admin.page.get_by_label("Why").fill("customer called")
    admin.page.get_by_role("button", name="Save address").click()
    expect(admin.page.locator(".flash")).to_have_text("Address changed.")
    expect(admin.page.locator("address").first).to_contain_text("350 5th Ave")
    expect(admin.page.locator("#timeline")).to_contain_text("customer called")
    with container.reader() as uow:
        changed = get_order(uow, order.id)
        assert (changed.shipping_address["line1"], changed.shipping_address["postal_code"]) == ("350 5th Ave", "10118")
