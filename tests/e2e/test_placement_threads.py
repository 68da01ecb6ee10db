"""`placement_threads`: an API worker places at most that many orders at once (POST /orders);
the others wait their turn and are all placed. Placing is Python under one GIL, so more threads
only stretch every order's latency (docs/decisions.md 36, docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from conveyor.api.app import create_app
from conveyor.orders import api as orders_api
from tests.e2e.conftest import order_body


@pytest.mark.parametrize("threads", [1, 3, None])
def test_no_more_orders_are_placed_at_once_than_placement_threads(api, container, monkeypatch, threads):
    """None: the default, one order at a time on SQLite (its writers take turns), two on PostgreSQL."""
    monkeypatch.setattr(container.settings, "placement_threads", threads)
    lock, inside, most = threading.Lock(), [0], [0]
    real_create = orders_api._create

    def counted(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.05)  # long enough for every request to have arrived
        try:
            return real_create(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(orders_api, "_create", counted)

    async def place_eight() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://conveyor") as client:
            answers = await asyncio.gather(*[
                client.post("/api/v1/orders", json=order_body({"SKU-A": 1}), headers=api.headers("admin"))
                for _ in range(8)])
        return [a.status_code for a in answers]

    assert asyncio.run(place_eight()) == [201] * 8
    assert most[0] == (threads or (1 if container.db.is_sqlite else 2))
