"""Idempotency-Key on the other create endpoints: a retry replays, a reused key with another body
is refused, and the thing is created once."""

from __future__ import annotations

import pytest

CREATES = [
    ("/products", {"name": "Mug", "skus": [{"code": "MUG-1", "name": "Mug"}]},
     {"name": "Mug", "skus": [{"code": "MUG-2", "name": "Mug"}]}),
    ("/locations", {"code": "WH9", "name": "Nine"}, {"code": "WH8", "name": "Eight"}),
    ("/inventory/receipts", {"sku": "SKU-A", "location": "WH1", "quantity": 3},
     {"sku": "SKU-A", "location": "WH1", "quantity": 4}),
    ("/inventory/adjustments", {"sku": "SKU-A", "location": "WH1", "delta": -1, "reason": "damaged"},
     {"sku": "SKU-A", "location": "WH1", "delta": -2, "reason": "damaged"}),
    ("/inventory/transfers", {"sku": "SKU-A", "source": "WH1", "destination": "WH2", "quantity": 1},
     {"sku": "SKU-A", "source": "WH1", "destination": "WH2", "quantity": 2}),
]


@pytest.mark.parametrize(("path", "body", "other"), CREATES, ids=[c[0] for c in CREATES])
def test_retry_with_the_same_key_changes_nothing_more(api, path, body, other):
    ledger_before = len(api.get("/inventory/ledger", params={"limit": 200}).json()["items"])
    first = api.post(path, body, headers={"Idempotency-Key": "k-1"})
    again = api.post(path, body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers.get("idempotent-replayed") == "true"
    reused = api.post(path, other, headers={"Idempotency-Key": "k-1"})
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    ledger_after = len(api.get("/inventory/ledger", params={"limit": 200}).json()["items"])
    expected = {"/inventory/receipts": 1, "/inventory/adjustments": 1, "/inventory/transfers": 2}
    assert ledger_after - ledger_before == expected.get(path, 0)


def test_a_failed_create_can_be_retried_with_the_same_key(api):
    bad = api.post("/inventory/adjustments", {"sku": "SKU-A", "location": "WH1", "delta": -99,
                                              "reason": "lost"}, headers={"Idempotency-Key": "k-2"})
    assert bad.status_code == 409
    level = api.get("/inventory/levels", params={"sku": "SKU-A", "location": "WH1"}).json()["items"][0]
    assert level["on_hand"] == 10
