"""The fulfilment floor in the browser: release, pick list (its PDF read back), the pack screen
with a wrong scan refused and right scans counted, close the package, buy and print the label, ship
— each step on screen and in the database."""

from __future__ import annotations

import io

from playwright.sync_api import expect
from pypdf import PdfReader

from conveyor.fulfillment import service as fulfilment
from conveyor.orders import handlers
from conveyor.orders.commands import LineInput, PlaceOrder
from conveyor.orders.service import get_order
from tests.browser.conftest import screenshot
from tests.integration.fulfilment.support import CUSTOMER_ADDRESS, MUG_GTIN, seed_floor


def _pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def _fulfilment_order(container, order_id: str):
    with container.reader() as uow:
        [fo] = fulfilment.for_order(uow, order_id)
        return fo


def test_pick_pack_with_a_wrong_then_right_scans_label_and_ship(admin, container, tmp_path):
    seed_floor(container)
    order = handlers.place_order(container, PlaceOrder(
        channel="web", currency="USD", customer_name="Ada Lovelace", shipping_address=CUSTOMER_ADDRESS,
        lines=[LineInput(sku="MUG", quantity=2, unit_price_minor=1500)]), actor="test").order
    fo = _fulfilment_order(container, order.id)
    page = admin.page

    admin.go("/fulfilment?location=NJ")
    page.locator(f'table[data-status="pending"] tr[data-fo="{fo.id}"]').get_by_role("button", name="Release").click()
    expect(page.locator(f'table[data-status="released"] tr[data-fo="{fo.id}"]')).to_be_visible()
    page.get_by_role("button", name="Create pick lists from released orders").click()
    link = page.locator("#pick-lists a").first
    pdf = page.request.get(admin.base + link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert "A-01-1-A" in _pdf_text(pdf.body()) and "MUG" in _pdf_text(pdf.body())
    page.get_by_role("button", name="All picked").click()
    expect(page.locator(".flash")).to_have_text("Picks confirmed.")
    screenshot(admin, "fulfilment", tmp_path)

    admin.go(f"/fulfilment/orders/{fo.id}")
    scan = page.get_by_label("Scan a barcode or type a SKU, then Enter")
    packed = page.locator('#pack-lines tr[data-sku="MUG"] .packed')
    scan.fill("CAP")
    scan.press("Enter")
    expect(page.locator("#scan-result")).to_have_text("Wrong item: CAP is not in this order.")
    expect(page.locator("#scan-result")).to_have_class("scan-result error")
    expect(packed).to_have_text("0")
    expect(scan).to_be_focused()
    expect(scan).to_have_value("")
    scan.fill("MUG")
    scan.press("Enter")
    expect(packed).to_have_text("1")
    expect(page.locator("#scan-result")).to_have_class("scan-result ok")
    scan.type(MUG_GTIN)  # as a scanner does: keystrokes, then Enter
    scan.press("Enter")
    expect(packed).to_have_text("2")
    assert [line.packed for line in _fulfilment_order(container, order.id).lines] == [2]
    screenshot(admin, "pack", tmp_path)

    page.get_by_label("Weight (grams)").fill("900")
    page.get_by_label("Box").select_option("M")
    page.get_by_role("button", name="Close package").click()
    expect(page.locator("#fo-status")).to_have_text("packed")
    page.get_by_role("button", name="Buy label (cheapest meeting the promise)").click()
    label = page.get_by_role("link", name="Print label (PDF)")
    label_pdf = page.request.get(admin.base + label.get_attribute("href"))
    assert "350 5th Ave" in _pdf_text(label_pdf.body())
    page.get_by_role("button", name="Ship").click()
    expect(page.locator("#fo-status")).to_have_text("shipped")
    assert _fulfilment_order(container, order.id).status == "shipped"
    with container.reader() as uow:
        assert get_order(uow, order.id).status == "fulfilled"
