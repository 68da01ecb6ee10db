"""One id follows a request end to end: the X-Request-Id header in and out, every JSON log line
written while serving it, and the timeline events and outbox messages it wrote."""

from __future__ import annotations

import io
import json

from fastapi.testclient import TestClient
from sqlalchemy import text

from conveyor import logs
from conveyor.api.app import create_app
from conveyor.auth.handlers import create_key
from tests.e2e.conftest import order_body
from tests.helpers import seed_world


def _rows(container, sql: str, **params) -> list[tuple]:
    with container.reader() as uow:
        return [tuple(r) for r in uow.session.execute(text(sql), params)]


def test_the_request_id_reaches_logs_timeline_and_outbox(container):
    seed_world(container)
    _, admin = create_key(container, "admin", "admin")
    log = io.StringIO()
    app = create_app(container)
    logs.configure(logs.secrets_of(container.settings), stream=log)
    headers = {"Authorization": f"Bearer {admin}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        placed = client.post("/api/v1/orders", json=order_body({"SKU-A": 1}),
                             headers={**headers, "X-Request-Id": "req-e2e-42"})
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        read = client.get(f"/api/v1/orders/{order_id}", headers={**headers, "X-Request-Id": "req-e2e-43"})
        held = client.post(f"/api/v1/orders/{order_id}/hold", json={"reason": "check"}, headers=headers)
    assert placed.headers["x-request-id"] == "req-e2e-42"
    assert read.headers["x-request-id"] == "req-e2e-43"
    generated = held.headers["x-request-id"]  # none given: one is made
    assert generated.startswith("req_")

    events = _rows(container, "SELECT type, request_id FROM order_events WHERE order_id = :o ORDER BY id", o=order_id)
    assert ("order.placed", "req-e2e-42") in events and ("order.held", generated) in events
    messages = _rows(container, "SELECT topic, request_id FROM outbox WHERE key = :o ORDER BY id", o=order_id)
    assert ("order.created", "req-e2e-42") in messages
    assert ("order.held", generated) in messages

    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.strip()]
    read_log = [e for e in lines if e.get("event") == "pii.read"]
    assert [(e["request_id"], e["path"]) for e in read_log] == [
        ("req-e2e-43", f"/api/v1/orders/{order_id}"), (generated, f"/api/v1/orders/{order_id}/hold")]


def test_an_insane_request_id_is_replaced(api):
    r = api.get("/orders", headers={"X-Request-Id": "bad id with spaces and {braces}"})
    assert r.status_code == 200 and r.headers["x-request-id"].startswith("req_")
