"""The dashboard shows customers' personal data as the API does: unmasked to roles holding
`pii:read` (admin, ops), masked for support and readonly users — in the order list, on the order
page (its address form and the notes on its timeline included) and in the phone order's customer
lookup."""

from __future__ import annotations

import re

import pytest

from conveyor.auth.handlers import create_user
from tests.e2e.conftest import order_body

PASSWORD = "correct horse battery"
PERSONAL = ("Lovelace", "ada@example.com", "1 Main St")


@pytest.fixture
def order_id(api) -> str:
    placed = api.post("/orders", order_body({"SKU-A": 1}))
    assert placed.status_code == 201, placed.text
    noted = api.post(f"/orders/{placed.json()['id']}/notes", {"text": "Asked again from ada@example.com"})
    assert noted.status_code == 200, noted.text  # a staff note on the timeline: masked for support too
    return placed.json()["id"]


def logged_in(api, container, role: str):
    create_user(container, role, PASSWORD, role, role.title())
    client = api.client
    client.cookies.clear()
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert answer.status_code == 200 and answer.url.path == "/", answer.text[:300]
    return client


def test_support_sees_customers_masked_everywhere(api, container, order_id):
    browser = logged_in(api, container, "support")
    listed = browser.get("/orders").text
    shown = browser.get(f"/orders/{order_id}").text
    for page in (listed, shown):
        assert "A*** L***" in page and "a***@***.com" in page
        assert not any(value in page for value in PERSONAL), [v for v in PERSONAL if v in page]
    assert 'value="***"' not in shown  # the address form starts empty rather than saving stars back
    lookup = browser.get("/phone", params={"lookup": "Lovelace"}).text
    found = lookup.split('id="customers"')[1].split("</ul>")[0]
    assert "a***@***.com" in found and "ada@example.com" not in found and "Lovelace" not in found
    assert 'href="/phone?' not in found  # no link that fills the form with the customer's details


def test_admin_sees_them_in_full(api, container, order_id):
    browser = logged_in(api, container, "admin")
    listed = browser.get("/orders").text
    assert "Ada Lovelace" in listed and "ada@example.com" in listed
    shown = browser.get(f"/orders/{order_id}").text
    assert all(value in shown for value in PERSONAL)
    found = browser.get("/phone", params={"lookup": "Lovelace"}).text.split('id="customers"')[1]
    assert "ada@example.com" in found and 'href="/phone?' in found
