"""Inventory's main action (adjust stock) on screen and in the database; what a support user may
not do is neither shown nor accepted; a form without its CSRF token is refused; /docs is offline."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from conveyor.catalog.service import sku_id_of
from conveyor.inventory.locations import resolve_location
from conveyor.inventory.service import level, list_ledger
from tests.browser.conftest import add_user, log_in, screenshot


def _on_hand(container, sku: str = "SKU-A", location: str = "WH1") -> int:
    with container.reader() as uow:
        return level(uow, sku_id_of(uow, sku), resolve_location(uow, location).id).on_hand


def _csrf(session) -> str:
    return json.loads(session.page.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]


def test_adjusting_stock_shows_the_new_level_and_writes_the_ledger(admin, container, tmp_path):
    admin.go("/inventory?sku=SKU-A")
    row = admin.page.locator('#levels tr[data-sku="SKU-A"][data-location="WH1"]')
    expect(row.locator(".on-hand")).to_have_text("20")
    form = admin.page.locator("#adjust-form")
    form.get_by_label("Location").select_option("WH1")
    form.get_by_label("Change (+/− units)").fill("-3")
    form.get_by_label("Reason").select_option("damaged")
    form.get_by_label("Note").fill("dropped a box")
    form.get_by_role("button", name="Adjust").click()
    expect(admin.page.locator(".flash")).to_have_text("Adjusted SKU-A at WH1.")
    expect(row.locator(".on-hand")).to_have_text("17")
    expect(row.locator(".atp")).to_have_text("17")
    expect(admin.page.locator("#ledger tbody tr").first).to_contain_text("dropped a box")
    assert _on_hand(container) == 17
    with container.reader() as uow:
        newest = list_ledger(uow, sku="SKU-A", location="WH1", reason=None, reference=None, limit=1,
                             cursor=None).items[0]
    assert (newest.d_on_hand, newest.reference_id, newest.actor) == (-3, "damaged", "user:admin")
    screenshot(admin, "inventory", tmp_path)


def test_a_bad_adjustment_is_explained_and_changes_nothing(admin, container):
    admin.go("/inventory?sku=SKU-A")
    form = admin.page.locator("#adjust-form")
    form.get_by_label("Change (+/− units)").fill("-500")  # more than is on hand
    form.get_by_role("button", name="Adjust").click()
    expect(admin.page.locator(".flash.error")).to_be_visible()
    assert _on_hand(container) == 20


def test_support_does_not_see_adjust_stock_and_is_refused_when_posting_it(browser, server, container):
    add_user(container, "support")
    support = log_in(browser, server, "support")
    support.go("/inventory?sku=SKU-A")
    expect(support.page.locator("#levels")).to_contain_text("SKU-A")
    expect(support.page.locator("#adjust-form")).to_have_count(0)
    expect(support.page.get_by_role("button", name="Adjust")).to_have_count(0)
    # Forced: the same form posted with the support user's own valid session and CSRF token.
    response = support.page.request.post(f"{server}/inventory/adjust", headers={"Accept": "text/html"}, form={
        "csrf_token": _csrf(support), "sku": "SKU-A", "location": "WH1", "delta": "-1", "reason": "lost"})
    assert response.status == 403
    assert "Not allowed" in response.text() and "may not inventory write" in response.text()  # the HTML page
    assert _on_hand(container) == 20
    support.page.context.close()


def test_a_form_posted_without_its_csrf_token_is_refused(admin, container):
    admin.go("/inventory?sku=SKU-A")
    response = admin.page.request.post(f"{admin.base}/inventory/adjust", form={
        "sku": "SKU-A", "location": "WH1", "delta": "5", "reason": "found"})
    assert response.status == 403
    assert "security token" in response.text()
    forged = admin.page.request.post(f"{admin.base}/inventory/adjust", form={
        "csrf_token": "0" * 64, "sku": "SKU-A", "location": "WH1", "delta": "5", "reason": "found"})
    assert forged.status == 403
    assert _on_hand(container) == 20


def test_api_docs_render_without_any_external_request(browser, server):
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server}/docs")
    expect(page.locator(".swagger-ui .opblock-tag").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/orders")
    assert requested, "the page made no request at all"
    outside = [url for url in requested if not url.startswith(f"{server}/") and not url.startswith("data:")]
    assert outside == []
    assert f"{server}/openapi.json" in requested
    context.close()
