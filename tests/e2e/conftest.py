"""An HTTP client on the real app (in-process ASGI), a seeded world, and a key per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from conveyor.api.app import create_app
from conveyor.auth.handlers import create_key
from conveyor.channels.handlers import create_channel
from tests.helpers import seed_world


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def get(self, path: str, role: str = "admin", **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers(role, **kw.pop("headers", {})), **kw)

    def post(self, path: str, json=None, role: str = "admin", **kw):
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers(role, **kw.pop("headers", {})),
                                **kw)

    def patch(self, path: str, json=None, role: str = "admin", **kw):
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.headers(role), **kw)

    def put(self, path: str, json=None, role: str = "admin", **kw):
        return self.client.put(f"/api/v1{path}", json=json, headers=self.headers(role), **kw)

    def delete(self, path: str, role: str = "admin", **kw):
        return self.client.delete(f"/api/v1{path}", headers=self.headers(role), **kw)


@pytest.fixture
def api(container) -> Api:
    seed_world(container, {"SKU-A": 10, "SKU-B": 5, "SKU-C": 0}, locations=2)
    create_channel(container, code="market", name="Marketplace", type="amazon", backorder_policy="backorder")
    tokens = {}
    for role, channel in [("admin", None), ("ops", None), ("support", None), ("readonly", None),
                          ("channel", "web"), ("channel_market", "market")]:
        _, tokens[role] = create_key(container, "channel" if channel else role, role, channel)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield Api(client, tokens)


def order_body(lines: dict[str, int] | None = None, channel: str | None = "web", **extra) -> dict:
    lines = lines or {"SKU-A": 1}
    body = {"currency": "USD", "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "shipping_address": {"name": "Ada", "line1": "1 Main St", "city": "New York", "region": "NY",
                                 "postal_code": "10001", "country": "US"},
            "lines": [{"sku": s, "quantity": q, "unit_price": "10.00"} for s, q in lines.items()], **extra}
    if channel:
        body["channel"] = channel
    return body
