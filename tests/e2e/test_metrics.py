"""Prometheus /metrics, scraped the way Prometheus does: request counts and latency per route
template, orders placed, allocation failures, outbox lag and worker errors; and, with
`conveyor serve --workers 2`, one view over both processes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from conveyor.messaging.outbox import enqueue
from conveyor.messaging.topics import Topic
from conveyor.messaging.worker import Handler, Policy, Worker
from tests.e2e.conftest import order_body
from tests.e2e.served import healthz_per_process, serving


def scrape(client) -> dict[tuple[str, frozenset], float]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_orders_and_allocation_failures_are_counted(api):
    before = scrape(api.client)
    placed = api.post("/orders", order_body({"SKU-A": 2}))
    refused = api.post("/orders", order_body({"SKU-C": 1}))  # no stock anywhere: 409
    assert (placed.status_code, refused.status_code) == (201, 409), refused.text
    for _ in range(3):
        assert api.get(f"/orders/{placed.json()['id']}").status_code == 200
    assert api.get("/no/such/path").status_code == 404
    after = scrape(api.client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/api/v1/orders/{order_id}"  # the template, never the id: series stay few
    assert delta("conveyor_http_requests_total", method="GET", route=route, status="200") == 3
    assert delta("conveyor_http_request_duration_seconds_count", method="GET", route=route) == 3
    assert delta("conveyor_http_requests_total", method="POST", route="/api/v1/orders", status="409") == 1
    assert delta("conveyor_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not any(placed.json()["id"] in str(labels) for _, labels in after)
    assert delta("conveyor_orders_placed_total") == 1
    assert delta("conveyor_allocation_failures_total", outcome="refused") == 1


def test_outbox_lag_is_read_from_the_database(api, container):
    for _ in range(2):
        assert api.post("/orders", order_body({"SKU-A": 1})).status_code == 201
    with container.reader() as uow:
        pending = uow.session.execute(text("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")).scalar_one()
    samples = scrape(api.client)
    assert pending >= 2
    assert value(samples, "conveyor_outbox_pending_messages") == pending
    assert value(samples, "conveyor_outbox_oldest_pending_age_seconds") >= 0
    assert value(samples, "conveyor_database_up") == 1


def test_worker_errors_are_counted_per_topic(api, container):
    def broken(message) -> None:  # noqa: ANN001
        raise RuntimeError("the consumer is down")

    with container.uow() as uow:
        enqueue(uow, Topic.STAFF_ALERT, "staff", {"text": "hello"})
        uow.commit()
    before = scrape(api.client)
    worker = Worker(container, {Topic.STAFF_ALERT: Handler(broken, False)}, Policy(batch=10))
    try:
        worker.run_once()
    finally:
        worker.close()
    after = scrape(api.client)
    labels = {"topic": "staff.alert", "outcome": "retry"}
    assert value(after, "conveyor_worker_errors_total", **labels) - value(
        before, "conveyor_worker_errors_total", **labels) == 1


@pytest.mark.slow
def test_serve_with_two_workers_reports_every_process(tmp_path: Path):
    """Whichever worker answers the scrape, it reports the requests both workers served."""
    with serving(tmp_path, workers=2) as served:
        base = served.base
        # Concurrent fresh connections until both workers have served some: which process accepts a
        # connection is the kernel's choice, and on a busy machine one may take a whole round.
        for _ in range(20):
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(lambda _: _get_fresh(f"{base}/healthz"), range(80)))
            assert codes == [200] * 80
            per_process = healthz_per_process(served.metrics_dir)
            if len(per_process) == 2 and all(per_process.values()):
                break
        per_process = _settled(served.metrics_dir)
        with httpx.Client(base_url=base) as client:
            counted = [value(scrape(client), "conveyor_http_requests_total", method="GET", route="/healthz",
                             status="200") for _ in range(6)]
        assert len(per_process) == 2 and all(per_process.values()), per_process  # both workers served
        assert counted == [sum(per_process.values())] * 6  # every scrape, whoever answers it, adds both up


def _settled(directory: Path) -> dict[str, float]:
    """The workers' /healthz counts once they stop moving: a request is counted just after its
    answer is sent (RequestMetrics), so the last one may still be counting when its client has the
    answer (CI once read 80 here and scraped 81 a moment later)."""
    counts = healthz_per_process(directory)
    for _ in range(50):
        time.sleep(0.1)
        again = healthz_per_process(directory)
        if again == counts:
            return counts
        counts = again
    return counts


def _get_fresh(url: str) -> int:
    with httpx.Client() as fresh:
        return fresh.get(url).status_code
