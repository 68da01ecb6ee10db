"""Amazon SP-API pull: poll `getOrders`, then `getOrderItems` per order.

- `GET /orders/v0/orders` with `MarketplaceIds` and `CreatedAfter` or `LastUpdatedAfter`
  (ISO 8601); further pages by passing the response's `NextToken` (with `MarketplaceIds`).
- `GET /orders/v0/orders/{orderId}/orderItems`, paged the same way.
- Every call carries `x-amz-access-token`, a Login-with-Amazon access token. Tokens expire
  after an hour, so the connector asks the injected `token_provider` before each request
  instead of holding one; the provider decides when to refresh.
Rate limits are tight (getOrders ~0.0167 rps) and handled by `ChannelHttpClient`.

Polling uses `LastUpdatedAfter`, not `CreatedAfter`: an order first seen `Pending` (no prices, no
total) must be seen again when it becomes `Unshipped`, `Canceled`, or the buyer asks to cancel,
and only a last-updated window returns it then. The first page's `LastUpdatedBefore` (the end of
the window Amazon actually answered for) is kept in `last_updated_before` for the next cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from conveyor.channels.classifiers.amazon import classify_order
from conveyor.channels.connectors import PulledOrder, map_safely
from conveyor.channels.events import ChannelEvent
from conveyor.channels.http import ChannelHttpClient
from conveyor.channels.mappers import amazon as mapper
from conveyor.channels.mappers.common import SkuLookup

TokenProvider = Callable[[], str]
CURSOR_OVERLAP = timedelta(minutes=2)


class AmazonConnector:
    def __init__(
        self,
        client: ChannelHttpClient,
        token_provider: TokenProvider,
        *,
        marketplace_ids: Sequence[str],
        channel: str,
    ) -> None:
        self._client = client
        self._token = token_provider
        self.marketplace_ids = list(marketplace_ids)
        self.channel = channel
        self.last_updated_before: str | None = None

    def list_orders(
        self, *, created_after: datetime | None = None, last_updated_after: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every order in the window, following NextToken across pages."""
        if (created_after is None) == (last_updated_after is None):
            raise ValueError("give exactly one of created_after / last_updated_after")
        params: dict[str, Any] = {"MarketplaceIds": ",".join(self.marketplace_ids)}
        if created_after is not None:
            params["CreatedAfter"] = _iso(created_after)
        if last_updated_after is not None:
            params["LastUpdatedAfter"] = _iso(last_updated_after)
        self.last_updated_before = None
        for payload in self._pages("orders/v0/orders", params):
            if self.last_updated_before is None and payload.get("LastUpdatedBefore"):
                self.last_updated_before = str(payload["LastUpdatedBefore"])
            yield from payload.get("Orders") or []

    def get_order_items(self, amazon_order_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for payload in self._pages(f"orders/v0/orders/{amazon_order_id}/orderItems", {}):
            items.extend(payload.get("OrderItems") or [])
        return items

    def poll(self, sku_lookup: SkuLookup, **window: datetime) -> list[PulledOrder]:
        """Fetch the window's orders with their items and map each one."""
        pulled = []
        for order in self.list_orders(**window):
            order_id = order["AmazonOrderId"]
            items = self.get_order_items(order_id)
            raw = {"order": order, "items": items}
            pulled.append(
                map_safely(
                    order_id,
                    raw,
                    partial(mapper.map_order, order, items, sku_lookup, channel=self.channel),
                )
            )
        return pulled

    def events(self, sku_lookup: SkuLookup, **window: datetime) -> list[tuple[dict[str, Any], ChannelEvent]]:
        """The window's orders as (raw document, `ChannelEvent`): what the intake handler applies."""
        found = []
        for order in self.list_orders(**window):
            items = self.get_order_items(order["AmazonOrderId"])
            event = classify_order(order, items, sku_lookup=sku_lookup, channel=self.channel)
            found.append(({"order": order, "items": items}, event))
        return found

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        query = dict(params)
        while True:
            body = self._client.get_json(path, params=query, headers={"x-amz-access-token": self._token()})
            payload = (body or {}).get("payload") or {}
            yield payload
            token = payload.get("NextToken")
            if not token:
                return
            # With NextToken SP-API ignores the other filters, but MarketplaceIds stays required.
            query = {"NextToken": token}
            if "MarketplaceIds" in params:
                query["MarketplaceIds"] = params["MarketplaceIds"]


def next_cursor(started: datetime, last_updated_before: str | None = None) -> datetime:
    """Where the next `LastUpdatedAfter` window starts.

    Amazon only answers for changes older than about two minutes (a `LastUpdatedBefore` must be
    two minutes in the past), so the window restarts `CURSOR_OVERLAP` before this poll began, or at
    the window end Amazon reported if that is earlier. Orders seen again in the overlap are the
    same documents and are recognised as duplicates; an order that changed (Pending → Unshipped)
    is a new document and is picked up exactly once more."""
    cursor = started - CURSOR_OVERLAP
    if last_updated_before:
        try:
            reported = datetime.fromisoformat(last_updated_before.replace("Z", "+00:00"))
        except ValueError:
            return cursor
        if reported.tzinfo is not None:
            cursor = min(cursor, reported)
    return cursor


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("poll windows must be timezone-aware (UTC)")
    return moment.isoformat().replace("+00:00", "Z")
