"""BigCommerce pull: turn a thin `store/order/*` webhook into a full order.

The callback only says `{"data": {"type": "order", "id": 250}}`; the order, its products and
its shipping addresses are three v2 resources under
`https://api.bigcommerce.com/stores/{store_hash}/v2/`, authenticated with `X-Auth-Token`.
Products are paged (`page`, `limit`); v2 answers 204 No Content for an empty page.
"""

from __future__ import annotations

from typing import Any

from conveyor.channels.connectors import PulledOrder, map_safely
from conveyor.channels.http import ChannelHttpClient
from conveyor.channels.mappers import bigcommerce as mapper
from conveyor.channels.mappers.common import SkuLookup

API_ROOT = "https://api.bigcommerce.com"
PAGE_LIMIT = 250


class BigCommerceConnector:
    def __init__(self, client: ChannelHttpClient, *, channel: str) -> None:
        """`client` must be built with `bigcommerce_client(...)` (or the same base URL and auth)."""
        self._client = client
        self.channel = channel

    def fetch_order(self, order_id: str | int) -> dict[str, Any]:
        """The three documents the mapper needs, as received."""
        order = self._client.get_json(f"v2/orders/{order_id}")
        return {
            "order": order,
            "products": self._paged(f"v2/orders/{order_id}/products"),
            "shipping_addresses": self._paged(f"v2/orders/{order_id}/shipping_addresses"),
        }

    def fetch_refunds(self, order_id: str | int) -> list[dict[str, Any]]:
        """`GET /v3/orders/{id}/payment_actions/refunds`: the order's refunds (the response's `data`)."""
        body = self._client.get_json(f"v3/orders/{order_id}/payment_actions/refunds") or {}
        rows = body.get("data") if isinstance(body, dict) else None
        return rows if isinstance(rows, list) else []

    def pull_order(self, order_id: str | int, sku_lookup: SkuLookup) -> PulledOrder:
        raw = self.fetch_order(order_id)
        return map_safely(
            str(order_id),
            raw,
            lambda: mapper.map_order(
                raw["order"], raw["products"], raw["shipping_addresses"], sku_lookup, channel=self.channel
            ),
        )

    def pull_from_webhook(self, payload: bytes | str | dict, sku_lookup: SkuLookup) -> PulledOrder:
        return self.pull_order(mapper.order_id_from_webhook(payload), sku_lookup)

    def _paged(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._client.get_json(path, params={"page": page, "limit": PAGE_LIMIT}) or []
            rows.extend(batch)
            if len(batch) < PAGE_LIMIT:
                return rows
            page += 1


def bigcommerce_client(
    store_hash: str, access_token: str, *, api_root: str = API_ROOT, **kwargs: Any
) -> ChannelHttpClient:
    """A client rooted at the store's API path with BigCommerce's token header."""
    return ChannelHttpClient(
        f"{api_root.rstrip('/')}/stores/{store_hash}/",
        headers={"X-Auth-Token": access_token, "Accept": "application/json"},
        **kwargs,
    )
