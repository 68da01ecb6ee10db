"""`placement_threads`: an API worker places at most that many orders at once (POST /orders);
the others wait their turn and are all placed. Placing is Python under one GIL, so more threads
only stretch every order's latency (docs/decisions.md 36, docs/benchmarks.md). Orders that waited
leave together, up to `placement_batch` in one transaction (decisions 41)."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from sqlalchemy import text

from conveyor.api.app import create_app
from conveyor.orders import api as orders_api
from tests.e2e.conftest import order_body


def _post_at_once(api, container, count: int, request_id: str | None = None) -> list[httpx.Response]:
    """`count` orders (external ids O-0, O-1, ...) posted at the same moment to one app."""
    async def post_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://conveyor") as client:
            return await asyncio.gather(*[
                client.post("/api/v1/orders", json=order_body({"SKU-A": 1}, external_id=f"O-{n}"),
                            headers={**api.headers("admin"), **({"X-Request-Id": f"{request_id}-{n}"}
                                                               if request_id else {})})
                for n in range(count)])

    return asyncio.run(post_all())


def _record_batches(monkeypatch, sizes: list[int], slow: bool = True) -> None:
    """Note the size of every batch placed; the first placing (every one, with `slow`) takes long
    enough for the other requests to arrive and wait."""
    real_place = orders_api._place

    def recorded(c, batch):
        sizes.append(len(batch))
        if slow or len(sizes) == 1:
            time.sleep(0.05)
        return real_place(c, batch)

    monkeypatch.setattr(orders_api, "_place", recorded)


@pytest.mark.parametrize("threads", [1, 3, None])
def test_no_more_orders_are_placed_at_once_than_placement_threads(api, container, monkeypatch, threads):
    """None: the default, one order at a time on SQLite (its writers take turns), two on PostgreSQL."""
    monkeypatch.setattr(container.settings, "placement_threads", threads)
    lock, inside, most, sizes = threading.Lock(), [0], [0], []
    real_place = orders_api._place

    def counted(c, batch):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            sizes.append(len(batch))
        time.sleep(0.05)  # long enough for every request to have arrived
        try:
            return real_place(c, batch)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(orders_api, "_place", counted)

    assert [a.status_code for a in _post_at_once(api, container, 8)] == [201] * 8
    assert most[0] == (threads or (1 if container.db.is_sqlite else 2))
    assert sum(sizes) == 8
    assert len(sizes) < 8  # the orders that waited for a thread were placed together


def test_orders_that_wait_leave_together_up_to_placement_batch(api, container, monkeypatch):
    monkeypatch.setattr(container.settings, "placement_threads", 1)
    monkeypatch.setattr(container.settings, "placement_batch", 3)
    sizes: list[int] = []
    _record_batches(monkeypatch, sizes)

    answers = _post_at_once(api, container, 8)
    assert [a.status_code for a in answers] == [201] * 8
    assert sorted(a.json()["external_id"] for a in answers) == sorted(f"O-{n}" for n in range(8))
    assert sizes == [1, 3, 3, 1]  # the first alone, then the waiting ones three at a time
    levels = api.get("/inventory/levels", params={"sku": "SKU-A"}).json()["items"]
    assert sum(level["allocated"] for level in levels) == 8  # each order took its own unit


def test_orders_placed_together_keep_their_own_request_ids(api, container, monkeypatch):
    """What each order writes carries the id of the request that sent it, batch or not."""
    monkeypatch.setattr(container.settings, "placement_threads", 1)
    sizes: list[int] = []
    _record_batches(monkeypatch, sizes, slow=False)

    answers = _post_at_once(api, container, 4, request_id="req-batch")
    assert [a.status_code for a in answers] == [201] * 4
    assert sizes == [1, 3]
    with container.reader() as uow:
        placed = dict(uow.session.execute(text(
            "SELECT o.external_id, e.request_id FROM order_events e JOIN orders o ON o.id = e.order_id"
            " WHERE e.type = 'order.placed'")).all())
        messages = dict(uow.session.execute(text(
            "SELECT key, request_id FROM outbox WHERE topic = 'order.created'")).all())
    assert placed == {f"O-{n}": f"req-batch-{n}" for n in range(4)}
    assert {answers[n].json()["id"]: f"req-batch-{n}" for n in range(4)} == messages
