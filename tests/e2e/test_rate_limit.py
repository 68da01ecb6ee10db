"""Rate limiting per API key: a token bucket per key and process; 429 `rate_limited` with
Retry-After once a key's burst is spent, other keys unaffected, tokens back as time passes (the
bucket's clock is replaced: no sleeping, no timed assertion)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from conveyor.api import ratelimit
from conveyor.api.app import create_app
from conveyor.auth.handlers import create_key
from conveyor.bootstrap import build
from tests.helpers import seed_world


@pytest.fixture
def clock(monkeypatch):
    t = [1000.0]
    monkeypatch.setattr(ratelimit, "now", lambda: t[0])
    return t


@pytest.fixture
def limited(settings, clock):
    c = build(settings.model_copy(update={"rate_limit_per_second": 2.0, "rate_limit_burst": 3}))
    seed_world(c)
    keys = {name: create_key(c, "ops", name)[1] for name in ("busy", "quiet")}
    with TestClient(create_app(c), raise_server_exceptions=False) as client:
        yield client, keys


def _get(client, token: str):
    return client.get("/api/v1/locations", headers={"Authorization": f"Bearer {token}"})


def test_a_key_over_its_burst_gets_429_with_retry_after(limited, clock):
    client, keys = limited
    assert [_get(client, keys["busy"]).status_code for _ in range(3)] == [200, 200, 200]
    refused = _get(client, keys["busy"])
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "1"  # 2 tokens a second: one is back within 0.5 s
    assert _get(client, keys["quiet"]).status_code == 200  # per key: the other one is not affected
    assert client.get("/healthz").status_code == 200  # public probes are never limited

    clock[0] += 0.5  # half a second later: one token back
    assert [_get(client, keys["busy"]).status_code for _ in range(2)] == [200, 429]
    clock[0] += 10  # long idle: the bucket refills up to the burst, not beyond
    assert [_get(client, keys["busy"]).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_invalid_keys_get_401_not_429(limited):
    client, _ = limited
    codes = [client.get("/api/v1/locations", headers={"Authorization": "Bearer cvk_nope"}).status_code
             for _ in range(6)]
    assert codes == [401] * 6


def test_limiting_is_off_by_default(api):
    assert [api.get("/locations").status_code for _ in range(150)] == [200] * 150
