"""An order's money and its returns in the browser: a return requested from the order page, approved,
received and one unit graded resellable (stock back, return resolved); a refund from the order's
Money panel — each on screen and in the database."""

from __future__ import annotations

import io
import json

from playwright.sync_api import expect
from pypdf import PdfReader

from conveyor.orders import handlers
from conveyor.orders.commands import LineInput, PaymentInput, PlaceOrder
from conveyor.payments import attempts
from conveyor.payments import service as payments
from conveyor.returns import handlers as returns
from conveyor.returns.service import ReturnItem, get_return, returns_of_order
from tests.browser.conftest import add_user, log_in, screenshot
from tests.integration.fulfilment.support import CUSTOMER_ADDRESS, seed_floor
from tests.integration.returns.support import level, ship_through_floor

VISA = "4242424242424242"


def _shipped_paid_order(container) -> str:
    """Two mugs from Newark at 15.00, paid by card, shipped (so captured) through the floor."""
    seed_floor(container)
    order = handlers.place_order(container, PlaceOrder(
        channel="web", currency="USD", customer_name="Ada Lovelace", customer_email="ada@example.com",
        shipping_address=CUSTOMER_ADDRESS, lines=[LineInput(sku="MUG", quantity=2, unit_price_minor=1500)],
        payment=PaymentInput(provider="test", method="card", token=VISA)), actor="test").order
    ship_through_floor(container, order.id)
    return order.id


def _pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def _refunds(container, order_id: str) -> list:
    with container.reader() as uow:
        [payment] = payments.order_payments(uow, order_id)
        return [row for row in attempts.attempt_rows(uow, payment.id) if row.operation == "refund"]


def test_a_return_from_the_order_page_approved_received_graded_and_a_refund(admin, container, tmp_path):
    order_id = _shipped_paid_order(container)
    on_hand_before = level(container, "MUG", "NJ").on_hand
    page = admin.page

    admin.go(f"/orders/{order_id}")
    expect(page.locator('#financials [data-figure="captured"]')).to_contain_text("30.00")
    invoice = page.locator("#documents a").first
    expect(invoice).to_be_visible()
    pdf = page.request.get(admin.base + invoice.get_attribute("href"))  # with the session's cookie
    assert pdf.headers["content-type"] == "application/pdf"
    assert invoice.inner_text() in _pdf_text(pdf.body())  # the invoice's number, read back from the PDF
    page.get_by_label("Return line 1 (MUG, 2 returnable)").fill("1")
    page.get_by_label("Return reason").select_option("changed_mind")
    page.get_by_role("button", name="Request a return").click()
    expect(page.locator("#return-status")).to_have_text("requested")
    with container.reader() as uow:
        [ret] = returns_of_order(uow, order_id)
        assert (ret.status, ret.lines[0].requested) == ("requested", 1)

    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#return-status")).to_have_text("approved")
    page.get_by_label("Received at").select_option("NJ")
    page.get_by_role("button", name="Receive").click()
    expect(page.locator("#return-status")).to_have_text("received")
    page.get_by_label("MUG resellable").fill("1")
    page.get_by_role("button", name="Grade").click()
    expect(page.locator("#return-status")).to_have_text("resolved")  # graded, then the money resolved
    expect(page.locator("#return-lines .grades")).to_contain_text("resellable 1")
    screenshot(admin, "returns", tmp_path)
    with container.reader() as uow:
        done = get_return(uow, ret.id)
        assert (done.status, done.lines[0].resellable) == ("resolved", 1)
        assert done.refunded_minor == 1500  # the mug's price, back through the card
    assert level(container, "MUG", "NJ").on_hand == on_hand_before + 1  # the mug is back on the shelf

    admin.go("/returns?status=resolved")
    expect(page.locator("#return-table tbody tr")).to_have_count(1)
    admin.go("/returns?status=requested")
    expect(page.locator("#return-table tbody tr")).to_contain_text("No returns match.")

    admin.go(f"/orders/{order_id}")
    refunds_before = len(_refunds(container, order_id))
    page.get_by_label("Refund amount").fill("2.50")
    page.get_by_label("Refund reason").fill("scratched handle, goodwill")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".flash")).to_contain_text("Refund succeeded: 2.50 USD")
    expect(page.locator(".attempts")).to_contain_text("scratched handle, goodwill")
    refunds = _refunds(container, order_id)
    assert len(refunds) == refunds_before + 1
    [goodwill] = [row for row in refunds if row.reason == "scratched handle, goodwill"]
    assert (goodwill.amount_minor, goodwill.outcome, goodwill.actor) == (250, "succeeded", "user:admin")


def test_support_approves_a_return_but_may_not_receive_it_even_when_forced(browser, server, container):
    order_id = _shipped_paid_order(container)
    ret = returns.request_return(container, order_id, [ReturnItem("1", 1, "too_small")], actor="test")
    add_user(container, "support")
    support = log_in(browser, server, "support")
    page = support.page
    support.go(f"/returns/{ret.id}")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#return-status")).to_have_text("approved")
    expect(page.get_by_role("button", name="Receive")).to_have_count(0)  # returns:receive is the warehouse's
    csrf = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    forced = page.request.post(f"{server}/returns/{ret.id}/receive", headers={"Accept": "text/html"},
                               form={"csrf_token": csrf, "location": "NJ"})
    assert forced.status == 403
    with container.reader() as uow:
        assert get_return(uow, ret.id).status == "approved"
    support.page.context.close()
