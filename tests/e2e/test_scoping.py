"""A channel's key sees its own channel's world only: the stock ledger rows of its own orders, never
another channel's order ids, customers, payloads or the routing configuration."""

from __future__ import annotations

from tests.e2e.conftest import order_body


def _orders(api) -> tuple[str, str]:
    ours = api.post("/orders", order_body(channel=None), role="channel")
    theirs = api.post("/orders", order_body(channel=None, external_id="M-1"), role="channel_market")
    assert ours.status_code == theirs.status_code == 201, (ours.text, theirs.text)
    return ours.json()["id"], theirs.json()["id"]


def test_a_channel_key_reads_only_its_own_orders_ledger_rows(api):
    ours, theirs = _orders(api)
    assert api.get("/inventory/ledger", params={"reference": theirs}, role="channel").json()["items"] == []
    own = api.get("/inventory/ledger", params={"reference": ours}, role="channel").json()["items"]
    assert own and {e["reference_id"] for e in own} == {ours}
    everything = api.get("/inventory/ledger", params={"limit": 200}, role="channel").json()["items"]
    assert {e["reference_id"] for e in everything} == {ours}  # not receipts, not the other channel
    staff = api.get("/inventory/ledger", params={"reference": theirs}).json()["items"]
    assert staff, "staff see every row"


def test_a_channel_key_gets_nothing_of_another_channel(api):
    _, theirs = _orders(api)
    assert api.get(f"/orders/{theirs}", role="channel").status_code == 404
    assert theirs not in {o["id"] for o in api.get("/orders", role="channel").json()["items"]}
    assert api.get("/orders", params={"q": "M-1"}, role="channel").json()["items"] == []
    assert api.get("/channels/market/customers", params={"q": "ada@example.com"}, role="channel").status_code == 403
    assert api.get("/channels/market/payloads", role="channel").status_code == 403
    assert api.get("/routing/config", role="channel").status_code == 403
    assert api.post("/routing/preview", {"lines": [{"sku": "SKU-A", "quantity": 1}]}, role="channel").status_code == 403


def test_the_last_admin_key_cannot_be_revoked(api):
    keys = {k["name"]: k for k in api.get("/api-keys").json()}
    r = api.delete(f"/api-keys/{keys['admin']['id']}")
    assert r.status_code == 409 and "last active admin key" in r.json()["detail"]
    second = api.post("/api-keys", {"role": "admin", "name": "second admin"}).json()
    assert api.delete(f"/api-keys/{keys['admin']['id']}").status_code == 200
    headers = {"Authorization": f"Bearer {second['token']}"}
    assert api.client.get("/api/v1/api-keys", headers=headers).status_code == 200
