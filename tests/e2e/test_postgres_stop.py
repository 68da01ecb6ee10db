"""PostgreSQL itself stops under order load (`pg_ctl stop -m immediate`, a crash as far as clients
can tell) and starts again: while it is down every request answers 503 with Retry-After within a
bounded time, orders are acknowledged (201) again within 10 s of the restart, and no acknowledged
order is lost (its rows are all there and the audit is clean).

A private cluster (tests/pg_cluster.py) is stopped, never the shared test server.
test_database_outage.py covers the other kind of outage — the network to the database cut."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from conveyor.api.app import create_app
from conveyor.audit import run_audit
from conveyor.auth.handlers import create_key
from conveyor.bootstrap import build
from conveyor.config import Settings
from conveyor.shared.migrate import upgrade
from tests.e2e.conftest import order_body
from tests.helpers import seed_world
from tests.pg_cluster import Cluster

SHOPPERS = 6
BOUND_S = 5.0  # pool timeout 2 s + connect timeout 2 s + slack: never a hang


@pytest.fixture
def cluster():
    pg = Cluster()
    yield pg
    pg.destroy()


@pytest.mark.slow
def test_postgres_stopped_mid_load_answers_503_then_recovers_and_loses_nothing(cluster):
    upgrade(cluster.url)
    settings = Settings(database_url=cluster.url, api_key_cache_seconds=600, db_pool_size=8,
                        db_pool_timeout_seconds=2, db_connect_timeout_seconds=2)
    c = build(settings)
    seed_world(c, {"SKU-A": 1_000_000})
    _, token = create_key(c, "admin", "outage")
    outcomes: list[tuple[float, int, str | None, str | None, float]] = []  # start, status, id, Retry-After, took
    stop = threading.Event()

    with TestClient(create_app(c), raise_server_exceptions=False) as client:
        def shopper(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                started = time.monotonic()
                r = client.post("/api/v1/orders", json=order_body(external_id=f"o-{n}-{i}"),
                                headers={"Authorization": f"Bearer {token}"})
                outcomes.append((started, r.status_code, r.json().get("id"), r.headers.get("retry-after"),
                                 time.monotonic() - started))

        threads = [threading.Thread(target=shopper, args=(n,)) for n in range(SHOPPERS)]
        for t in threads:
            t.start()
        _wait_for(lambda: sum(o[1] == 201 for o in outcomes) >= 30)  # load is flowing
        stopped_at = time.monotonic()
        cluster.stop("immediate")
        down_at = time.monotonic()
        _wait_for(lambda: sum(o[0] > down_at and o[1] == 503 for o in outcomes) >= 2 * SHOPPERS)
        restarting_at = time.monotonic()  # the outage ends here: pg_ctl returns only after it accepts connections
        cluster.start()
        started_at = time.monotonic()
        _wait_for(lambda: any(o[1] == 201 and o[0] > started_at for o in outcomes), limit=30)
        time.sleep(1.0)  # a little more load after recovery
        stop.set()
        for t in threads:
            t.join(30)

    statuses = Counter(o[1] for o in outcomes)
    assert statuses[500] == 0 and set(statuses) <= {201, 503}, statuses
    during = [o for o in outcomes if o[0] > down_at and o[0] + o[4] < restarting_at]  # asked and answered while down
    assert during, "no request was answered during the outage"
    assert all(o[1] == 503 and o[3] for o in during), [o for o in during if o[1] != 503 or not o[3]][:3]
    assert max(o[4] for o in outcomes if o[0] > stopped_at) < BOUND_S  # bounded, in the outage and after
    first_ok = min(o[0] + o[4] for o in outcomes if o[1] == 201 and o[0] > started_at)
    assert first_ok - started_at < 10.0

    acknowledged = {o[2] for o in outcomes if o[1] == 201}
    with c.reader() as uow:
        stored = set(uow.session.scalars(text("SELECT id FROM orders")))
        assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged orders lost"
        assert run_audit(uow) == []
    c.close()


def _wait_for(condition, limit: float = 60.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
