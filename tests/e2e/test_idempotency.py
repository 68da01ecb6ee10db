"""Idempotency-Key on POST /orders: a retried or duplicated request places the order once.

The concurrency test runs the real ASGI server (uvicorn in a background thread on a free
127.0.0.1 port) and fires from 10 threads at once, because the in-process TestClient handles one
request at a time.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from conveyor.api.app import create_app
from tests.e2e.conftest import order_body

REPLAYED = "Idempotent-Replayed"


def _count(container, sql: str, **params) -> int:
    with container.reader() as uow:
        return uow.session.execute(text(sql), params).scalar_one()


def _orders(container) -> int:
    return _count(container, "SELECT COUNT(*) FROM orders")


def _level(api, sku: str = "SKU-A", location: str = "WH1") -> dict:
    return api.get("/inventory/levels", params={"sku": sku, "location": location}).json()["items"][0]


@pytest.fixture
def server(api, container) -> Iterator[str]:
    """The app served by uvicorn on a free port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(container), log_level="warning", access_log=False, lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    ready = threading.Event()
    for _ in range(500):  # wait for startup (a readiness poll, not a timing assertion)
        if srv.started:
            ready.set()
            break
        threading.Event().wait(0.02)
    assert ready.is_set(), "uvicorn did not start"
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_ten_concurrent_identical_requests_place_one_order(api, container, server):
    body = order_body({"SKU-A": 3})
    headers = {**api.headers("admin"), "Idempotency-Key": "checkout-7f3a"}
    barrier = threading.Barrier(10)
    results: list[httpx.Response | BaseException] = [None] * 10  # type: ignore[list-item]

    def fire(i: int) -> None:
        with httpx.Client(base_url=server, timeout=60) as client:
            barrier.wait()
            try:
                results[i] = client.post("/api/v1/orders", json=body, headers=headers)
            except BaseException as exc:  # noqa: BLE001 - reported below
                results[i] = exc

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, httpx.Response) for r in results), results
    # What actually happens, on both databases: every request gets 201 and the same order; no
    # caller sees 409 idempotency_in_progress. The claim is the first write of the placing
    # transaction. On SQLite that transaction starts with BEGIN IMMEDIATE, so the ten requests run
    # one after another and the later ones find the finished, stored response. On PostgreSQL the
    # losers' INSERT … ON CONFLICT DO NOTHING waits on the winner's uncommitted key row until it
    # commits, and their next statement (READ COMMITTED) then reads the stored response.
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 10, [(r.status_code, r.text[:200]) for r in results]
    ids = {r.json()["id"] for r in results}
    assert len(ids) == 1
    replayed = [r.headers.get(REPLAYED) for r in results]
    assert replayed.count("true") == 9 and replayed.count(None) == 1, replayed
    first = next(r for r in results if r.headers.get(REPLAYED) is None)
    assert all(r.json() == first.json() for r in results)
    assert _orders(container) == 1
    # Stock was taken once: 3 units allocated, one allocation ledger entry, one order.placed event.
    assert _level(api)["allocated"] == 3
    assert _count(container, "SELECT COUNT(*) FROM stock_ledger WHERE d_allocated <> 0") == 1
    assert _count(container, "SELECT COUNT(*) FROM order_events WHERE type = 'order.placed'") == 1
    assert api.get("/audit").json() == {"ok": True, "violations": []}


def test_replay_returns_the_first_response(api, container):
    headers = {"Idempotency-Key": "retry-1"}
    first = api.post("/orders", order_body({"SKU-A": 2}), headers=headers)
    assert first.status_code == 201 and REPLAYED not in first.headers
    # The same JSON with its keys in another order is the same request.
    reordered = dict(reversed(list(order_body({"SKU-A": 2}).items())))
    again = api.post("/orders", reordered, headers=headers)
    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()
    assert _orders(container) == 1
    assert _level(api)["allocated"] == 2


def test_replay_after_a_change_returns_the_stored_response(api, container):
    headers = {"Idempotency-Key": "retry-2"}
    first = api.post("/orders", order_body(), headers=headers).json()
    api.post(f"/orders/{first['id']}/cancel", {"reason": "changed mind"})
    again = api.post("/orders", order_body(), headers=headers)
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first  # the stored response, not a new order and not the current state
    assert _orders(container) == 1
    assert _level(api)["allocated"] == 0


def test_same_key_with_a_different_body_is_422(api, container):
    headers = {"Idempotency-Key": "retry-3"}
    first = api.post("/orders", order_body({"SKU-A": 1}), headers=headers)
    assert first.status_code == 201
    level, ledger = _level(api), _count(container, "SELECT COUNT(*) FROM stock_ledger")
    r = api.post("/orders", order_body({"SKU-A": 2}), headers=headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "idempotency_key_reused"
    assert _orders(container) == 1
    assert _level(api) == level
    assert _count(container, "SELECT COUNT(*) FROM stock_ledger") == ledger
    # The original request can still be replayed.
    assert api.post("/orders", order_body({"SKU-A": 1}), headers=headers).json()["id"] == first.json()["id"]


def test_same_key_from_another_api_key_is_independent(api, container):
    headers = {"Idempotency-Key": "shared-key"}
    by_admin = api.post("/orders", order_body({"SKU-A": 1}), headers=headers)
    by_ops = api.post("/orders", order_body({"SKU-A": 1}), role="ops", headers=headers)
    assert (by_admin.status_code, by_ops.status_code) == (201, 201)
    assert REPLAYED not in by_ops.headers
    assert by_admin.json()["id"] != by_ops.json()["id"]
    # Even with a different body, another key's use of the same string is no conflict.
    by_support = api.post("/orders", order_body({"SKU-B": 1}), role="support", headers=headers)
    assert by_support.status_code == 201 and REPLAYED not in by_support.headers
    assert _orders(container) == 3
    assert _level(api)["allocated"] == 2
    # And each key replays its own response.
    assert api.post("/orders", order_body({"SKU-A": 1}), role="ops", headers=headers).json()["id"] == \
        by_ops.json()["id"]


def test_a_failed_request_does_not_burn_the_key(api, container):
    headers = {"Idempotency-Key": "retry-4"}
    refused = api.post("/orders", order_body({"SKU-A": 12}), headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert _orders(container) == 0
    received = api.post("/inventory/receipts", {"sku": "SKU-A", "location": "WH1", "quantity": 5})
    assert received.status_code == 201
    retried = api.post("/orders", order_body({"SKU-A": 12}), headers=headers)
    assert retried.status_code == 201, retried.text
    assert REPLAYED not in retried.headers
    assert _orders(container) == 1


def test_without_a_key_each_request_places_an_order(api, container):
    a = api.post("/orders", order_body())
    b = api.post("/orders", order_body())
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert _orders(container) == 2
