"""Bad input gets a clear 4xx at once and never reaches the database as a 500; an unexpected error
is logged once, as JSON, without secrets or personal data."""

from __future__ import annotations

import io
import json
import threading

import pytest
from sqlalchemy import event

from conveyor import logs
from conveyor.api.app import create_app
from tests.e2e.conftest import order_body

NUL = "\x00"


NUL_FILTERS = ({"q": NUL}, {"sku": f"A{NUL}"}, {"email": NUL}, {"status": NUL})


def test_nul_characters_never_reach_the_database(api, container):
    statements: list[str] = []
    event.listen(container.db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for params in NUL_FILTERS:
        r = api.get("/orders", role="readonly", params=params)
        assert (r.status_code, r.json()["code"]) == (422, "validation_error"), r.text
    assert statements == []  # refused before any database work: nothing to wait for, nothing to fail


def test_nul_characters_are_refused_while_an_order_goes_through(api):
    placed: list[int] = []
    worker = threading.Thread(target=lambda: placed.append(api.post("/orders", order_body()).status_code))
    worker.start()
    # These used to wait 29 s on the database behind the order's write; the test above shows they
    # never reach it now (no timed assertion here: speed lives in benchmarks/).
    for params in NUL_FILTERS:
        r = api.get("/orders", role="readonly", params=params)
        assert (r.status_code, r.json()["code"]) == (422, "validation_error"), r.text
    for path, body in (("/products", {"name": f"x{NUL}", "skus": [{"code": "NUL-1", "name": "n"}]}),
                       ("/orders", order_body(notes=f"call{NUL}me"))):
        r = api.post(path, body)
        assert r.status_code == 422 and "NUL" in r.text, r.text
    worker.join(10)
    assert placed == [201]


@pytest.mark.parametrize(("currency", "largest", "one_digit_too_many"), [
    ("JPY", "9999999999999", "1.5"),
    ("USD", "9999999999999.99", "1.001"),
    ("BHD", "9999999999999.999", "1.0001"),
])
def test_money_at_the_edges_of_storage(api, currency, largest, one_digit_too_many):
    body = order_body(currency=currency)
    body["lines"][0]["unit_price"] = largest
    r = api.post("/orders", body)
    assert r.status_code == 201, r.text
    assert api.get(f"/orders/{r.json()['id']}").json()["lines"][0]["unit_price"] == largest
    body["lines"][0]["unit_price"] = one_digit_too_many
    assert api.post("/orders", body).status_code == 422
    too_big = order_body(lines={"SKU-A": 1_000_000}, currency=currency)
    too_big["lines"][0]["unit_price"] = largest
    r = api.post("/orders", too_big)
    assert r.status_code == 422 and "larger than" in r.json()["detail"], r.text


def test_explicit_null_for_a_required_field_is_a_422(api):
    for path, field in (("/skus/SKU-A", "name"), ("/locations/WH1", "priority"), ("/channels/web", "name")):
        r = api.patch(path, {field: None})
        assert r.status_code == 422 and f"{field} may not be null" in r.text, (path, r.text)
    assert api.patch("/locations/WH1", {"daily_capacity": 3_000_000_000}).status_code == 422
    cleared = api.patch("/locations/WH1", {"daily_capacity": None})
    assert cleared.status_code == 200 and cleared.json()["daily_capacity"] is None


def test_an_unexpected_error_is_logged_once_without_secrets(container, monkeypatch):
    secret_key = "s3cret-key-that-must-never-appear-in-a-log-0123456789"
    container.settings.secret_key = secret_key
    password, token = "Sup3rSecretDbPassword", "cvk_key_01abcdefgh_0123456789abcdefSECRET"

    def explode(*args, **kwargs):
        raise RuntimeError(f"boom: postgresql://app:{password}@db.internal/conveyor key={secret_key} "
                           f"header=Bearer {token} customer=ada@example.com")

    from fastapi.testclient import TestClient

    from conveyor.auth.handlers import create_key
    from conveyor.orders import service

    _, admin = create_key(container, "admin", "admin")
    log = io.StringIO()
    app = create_app(container)
    logs.configure(logs.secrets_of(container.settings), stream=log)
    monkeypatch.setattr(service, "list_orders", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {admin}", "X-Request-Id": "req-test-1"})
    assert (r.status_code, r.json()["code"], r.json()["request_id"]) == (500, "internal_error", "req-test-1")
    assert r.headers["x-request-id"] == "req-test-1"
    # It took 25-60 s before, rendering every frame's local variables into the log; now the log
    # holds the traceback only (a size check, not a timed one).
    assert len(log.getvalue()) < 20_000, len(log.getvalue())
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.strip()]
    errors = [e for e in lines if e.get("event") == "unhandled error"]
    assert len(errors) == 1 and errors[0]["request_id"] == "req-test-1" and errors[0]["exception"]
    text = log.getvalue()
    for leaked in (password, secret_key, secret_key[:20], token, admin, "ada@example.com"):
        assert leaked not in text
    assert "locals" not in text


# Every case of the point 2 (each was a 500, several after 25-60 s): the body, or the
# query string, and what it must answer instead.
POINT_2 = [
    ("GET", "/orders?q=%00", None, 422),
    ("GET", "/orders?sku=A%00", None, 422),
    ("GET", "/orders?email=%00", None, 422),
    ("POST", "/orders", order_body(notes=f"call{NUL}me"), 422),
    ("POST", "/products", {"name": f"x{NUL}", "skus": [{"code": "NUL-1", "name": "n"}]}, 422),
    ("POST", "/orders", {**order_body(), "lines": [{"sku": "SKU-A", "quantity": 1_000_000,
                                                   "unit_price": "9999999999999.99"}]}, 422),
    ("PATCH", "/skus/SKU-A", {"name": None}, 422),
    ("PATCH", "/locations/WH1", {"priority": None}, 422),
    ("PATCH", "/channels/web", {"name": None}, 422),
    ("PATCH", "/locations/WH1", {"daily_capacity": 3_000_000_000}, 422),
    ("POST", "/orders", b'[' * 10_000 + b']' * 10_000, 400),  # nested 10,000 deep: malformed_json
]


@pytest.fixture
def live(api, container):
    """The app on a real socket (uvicorn in a thread), so every request can carry a client timeout."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(container), log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(1500):  # a readiness poll (at most ~30 s), not a timing assertion
        if srv.started:
            break
        threading.Event().wait(0.02)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1", api.tokens
    srv.should_exit = True
    thread.join(30)
    sock.close()


def test_each_bad_request_of_point_2_is_a_quick_4xx_while_orders_go_through(live):
    """Each bad request, concurrently with orders being placed: a 4xx problem (a hang would hit the
    client timeout and fail the test), and the orders still get their 201."""
    import httpx

    base, tokens = live
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    placed: list[int] = []

    def place_orders() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            placed.extend(http.post("/orders", json=order_body()).status_code for _ in range(5))

    worker = threading.Thread(target=place_orders)
    worker.start()
    wrong = []
    with httpx.Client(base_url=base, headers=headers, timeout=httpx.Timeout(5.0)) as http:
        for method, path, body, status in POINT_2:
            raw = body if isinstance(body, bytes) else None
            r = http.request(method, path, content=raw, json=None if raw else body,
                             headers={"content-type": "application/json"})
            if r.status_code != status or not r.headers["content-type"].startswith("application/problem+json"):
                wrong.append((method, path, r.status_code, r.text[:200]))
            elif status == 400:
                assert r.json()["code"] == "malformed_json"
    worker.join(60)
    assert not wrong, wrong
    assert placed == [201] * 5
