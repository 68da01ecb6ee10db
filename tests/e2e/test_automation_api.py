"""The automation endpoints through HTTP: webhook subscriptions (secret shown once, validation,
ping, delivery log, replay), the outbox (dead letters, replay), rules (validation errors name the
path, CRUD, dry run), and the order fields automation reads and writes (language, timed holds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import order_body
from tests.integration.messaging.support import start_receiver, worker_for

RULE = {"name": "Hold big orders", "triggers": ["placed"],
        "condition": {"field": "total", "op": "gte", "value": {"amount": "25.00", "currency": "USD"}},
        "actions": [{"type": "hold", "reason": "big"}, {"type": "tag", "tag": "big"}]}


def test_webhook_subscription_lifecycle(api, container):
    receiver = start_receiver()
    try:
        created = api.post("/webhooks", {"url": receiver.url, "topics": ["order.*"], "description": "ERP"})
        assert created.status_code == 201, created.text
        sub = created.json()
        assert sub["secret"].startswith("whsec_") and sub["enabled"] and sub["topics"] == ["order.*"]
        assert api.get(f"/webhooks/{sub['id']}").json()["secret"] is None  # shown once
        assert [s["id"] for s in api.get("/webhooks", role="readonly").json()] == [sub["id"]]

        ping = api.post(f"/webhooks/{sub['id']}/ping")
        assert ping.status_code == 200 and ping.json()["status_code"] == 200
        Webhook(sub["secret"]).verify(receiver.arrivals[0].body, receiver.arrivals[0].headers)

        order = api.post("/orders", order_body()).json()
        worker_for(container).drain()
        log = api.get(f"/webhooks/{sub['id']}/deliveries").json()["items"]
        assert [(a["topic"], a["outcome"]) for a in log] == [("order.created", "delivered"), ("webhook.ping", "ping")]
        event_id = log[0]["event_id"]
        replayed = api.post(f"/webhooks/{sub['id']}/replay", {"event_ids": [event_id]})
        assert replayed.json()["queued"] == 1
        worker_for(container).drain()
        assert [a.headers["webhook-id"] for a in receiver.arrivals[1:]] == [event_id, event_id]
        assert order["id"] in receiver.arrivals[-1].body.decode()

        rotated = api.patch(f"/webhooks/{sub['id']}", {"rotate_secret": True, "enabled": False}).json()
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != sub["secret"]
        assert not rotated["enabled"]
        assert api.delete(f"/webhooks/{sub['id']}").status_code == 200
        assert api.get(f"/webhooks/{sub['id']}").status_code == 404
    finally:
        receiver.stop()


def test_webhook_subscriptions_are_validated_and_admin_only(api):
    bad = api.post("/webhooks", {"url": "ftp://example.com/x", "topics": ["order.*"]})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    bad = api.post("/webhooks", {"url": "https://example.com/x", "topics": ["orders.shipped"]})
    assert bad.status_code == 422 and "matches no topic" in bad.json()["detail"]
    bad = api.post("/webhooks", {"url": "https://example.com/x", "topics": ["webhook.delivery"]})
    assert bad.status_code == 422
    assert api.post("/webhooks", {"url": "https://example.com/x", "topics": ["*"]}, role="ops").status_code == 403


def test_idempotent_subscription_create_does_not_store_the_secret(api):
    headers = {"Idempotency-Key": "sub-1"}
    body = {"url": "https://example.com/hooks", "topics": ["order.shipped"]}
    first = api.post("/webhooks", body, headers=headers)
    again = api.post("/webhooks", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["secret"] and again.json()["secret"] is None
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"


def test_rules_crud_with_validation_errors_naming_the_path(api):
    bad = dict(RULE, condition={"all": [{"field": "total", "op": "gtee", "value": "x"}]},
               actions=[{"type": "explode"}])
    r = api.post("/automation/rules", bad)
    assert r.status_code == 422
    assert [i["path"] for i in r.json()["issues"]] == ["condition.all[0].op", "actions[0].type"]

    created = api.post("/automation/rules", RULE)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert api.post("/automation/rules", RULE).status_code == 409  # names are unique
    held = api.post("/orders", order_body({"SKU-A": 3})).json()
    assert (held["status"], held["hold_reason"], held["tags"]) == ("on_hold", "big", ["big"])
    timeline = api.get(f"/orders/{held['id']}/timeline").json()
    assert any(e["type"] == "rule.matched" and e["data"]["rule"] == "Hold big orders" for e in timeline)

    dry = api.post("/automation/rules/dry-run", {"rule": dict(RULE, name="Try", enabled=False)}, role="readonly")
    assert dry.status_code == 200 and dry.json()["hits"] == 1 and dry.json()["orders"][0]["order_id"] == held["id"]

    changed = api.put(f"/automation/rules/{rule['id']}", dict(RULE, enabled=False)).json()
    assert changed["enabled"] is False
    assert api.post("/orders", order_body({"SKU-A": 3})).json()["status"] != "on_hold"
    assert api.delete(f"/automation/rules/{rule['id']}").status_code == 200
    assert api.get("/automation/rules").json() == []


def test_outbox_lists_dead_letters_and_replays_them(api, container):
    from sqlalchemy import update

    from conveyor.messaging.model import OutboxMessage

    api.post("/orders", order_body())
    worker_for(container).drain()
    with container.uow() as uow:
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.topic == "order.created")
                            .values(status="failed", last_error="RuntimeError: receiver down"))
        uow.commit()
    failed = api.get("/outbox", params={"status": "failed"}).json()["items"]
    assert [(m["topic"], m["last_error"]) for m in failed] == [("order.created", "RuntimeError: receiver down")]
    assert api.post("/outbox/replay", {}).status_code == 422
    assert api.post("/outbox/replay", {"failed": True}, role="support").status_code == 403
    assert api.post("/outbox/replay", {"failed": True}).json()["ids"] == [failed[0]["id"]]
    worker_for(container).drain()
    assert api.get("/outbox", params={"status": "failed"}).json()["items"] == []


def test_order_language_and_timed_holds(api):
    order = api.post("/orders", order_body(locale="de-AT")).json()
    assert order["locale"] == "de-AT" and order["priority"] == "normal" and order["preferred_service"] is None
    assert api.post("/orders", order_body(locale="not a tag")).status_code == 422
    until = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    held = api.post(f"/orders/{order['id']}/hold", {"reason": "call customer", "until": until.isoformat()}).json()
    assert held["status"] == "on_hold" and datetime.fromisoformat(held["hold_until"].replace("Z", "+00:00")) == until
    assert api.post(f"/orders/{order['id']}/release").json()["hold_until"] is None
