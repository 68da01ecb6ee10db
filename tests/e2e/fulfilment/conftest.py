"""The warehouse world of tests/integration/fulfilment/support.py on top of the `api` fixture."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.integration.fulfilment.support import CUSTOMER, MUG_GTIN, seed_floor

__all__ = ["CUSTOMER", "MUG_GTIN", "fulfilment_orders", "pdf_text", "place"]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def floor(api, container):
    seed_floor(container)
    return api


def place(api, lines: dict[str, int], **extra) -> dict:
    body = {"channel": "web", "currency": "USD", "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "shipping_address": CUSTOMER,
            "lines": [{"sku": s, "quantity": q, "unit_price": "15.00"} for s, q in lines.items()], **extra}
    r = api.post("/orders", body)
    assert r.status_code == 201, r.text
    return r.json()


def fulfilment_orders(api, order_id: str) -> dict[str, dict]:
    """The order's fulfilment orders by location code."""
    codes = {loc["id"]: loc["code"] for loc in api.get("/locations").json()}
    return {codes[fo["location_id"]]: fo for fo in api.get(f"/orders/{order_id}").json()["fulfilment_orders"]}
