"""Lists: walking `next_cursor` visits every item exactly once, newest first; filters narrow
the list to exactly the matching orders; bad cursors and limits are refused."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import order_body


def _next_millisecond() -> None:
    """Ids sort by their millisecond; make sure consecutive orders don't share one, so that
    'newest first' is well defined (a wait for the clock, not a timing assertion)."""
    start = time.time_ns() // 1_000_000
    while time.time_ns() // 1_000_000 == start:
        time.sleep(0.0002)


def place(api, sku: str, name: str, email: str, channel: str = "web", external_id: str | None = None) -> dict:
    body = order_body({sku: 1}, channel=channel, customer={"name": name, "email": email})
    if external_id:
        body["external_id"] = external_id
    r = api.post("/orders", body)
    assert r.status_code == 201, r.text
    _next_millisecond()
    return r.json()


@pytest.fixture
def orders(api) -> list[dict]:
    """Eight orders, oldest first, in several channels, states, SKUs and customers."""
    o = [
        place(api, "SKU-A", "Ada Lovelace", "ada@example.com", external_id="W-1"),
        place(api, "SKU-B", "Grace Hopper", "grace@navy.example", external_id="W-2"),
        place(api, "SKU-C", "Ada Lovelace", "ada@example.com", channel="market", external_id="M-1"),
        place(api, "SKU-A", "Ada Lovelace", "ada@example.com", external_id="W-3"),
        place(api, "SKU-B", "Alan Turing", "alan@bletchley.example", external_id="W-4"),
        place(api, "SKU-A", "Grace Hopper", "grace@navy.example", channel="market", external_id="M-2"),
        place(api, "SKU-A", "Ada Lovelace", "ada@example.com"),
        place(api, "SKU-B", "Ada Byron", "Ada.Byron@Example.com", external_id="W-5"),
    ]
    assert o[2]["status"] == "backordered"  # the market channel backorders what it can't allocate
    o[3] = api.post(f"/orders/{o[3]['id']}/hold", {"reason": "fraud check"}).json()
    o[4] = api.post(f"/orders/{o[4]['id']}/cancel", {"reason": "asked"}).json()
    assert (o[3]["status"], o[4]["status"]) == ("on_hold", "cancelled")
    return o


def walk(api, path: str = "/orders", role: str = "admin", **params) -> tuple[list[str], list[int]]:
    """All ids reached by following next_cursor, and the size of each page."""
    ids, sizes, cursor = [], [], None
    for _ in range(1000):
        page = api.get(path, role=role, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        ids += [item["id"] for item in body["items"]]
        sizes.append(len(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, sizes
    raise AssertionError("pagination did not end")


def test_walking_the_cursor_returns_each_order_once_newest_first(api, orders):
    newest_first = [o["id"] for o in reversed(orders)]
    assert newest_first == sorted(newest_first, reverse=True)
    for limit, sizes in [(3, [3, 3, 2]), (1, [1] * 8), (4, [4, 4]), (8, [8]), (200, [8])]:
        ids, got_sizes = walk(api, limit=limit)
        assert ids == newest_first, limit
        assert got_sizes == sizes, limit  # a full last page ends the walk: no empty page after it
    assert walk(api)[0] == newest_first  # the default limit


def test_orders_placed_during_a_walk_neither_repeat_nor_shift_it(api, orders):
    first = api.get("/orders", params={"limit": 3}).json()
    newer = [place(api, "SKU-A", "Late Comer", "late@example.com") for _ in range(2)]
    rest, _ = walk(api, limit=3, cursor=first["next_cursor"])
    seen = [o["id"] for o in first["items"]] + rest
    assert seen == [o["id"] for o in reversed(orders)]
    assert not {o["id"] for o in newer} & set(seen)
    assert [o["id"] for o in api.get("/orders", params={"limit": 2}).json()["items"]] == \
        [o["id"] for o in reversed(newer)]


def test_filters_narrow_the_list(api, orders):
    o = orders

    def expect(*indexes: int) -> list[str]:
        return [o[i]["id"] for i in sorted(indexes, reverse=True)]

    cases = [
        ({"status": "on_hold"}, expect(3)),
        ({"status": "cancelled"}, expect(4)),
        ({"status": "backordered"}, expect(2)),
        ({"status": "allocated"}, expect(0, 1, 5, 6, 7)),
        ({"status": "shipped"}, []),
        ({"channel": "market"}, expect(2, 5)),
        ({"channel": "web"}, expect(0, 1, 3, 4, 6, 7)),
        ({"channel": o[2]["channel_id"]}, expect(2, 5)),
        ({"channel": "nope"}, []),
        ({"sku": "SKU-B"}, expect(1, 4, 7)),
        ({"sku": "SKU-C"}, expect(2)),
        ({"sku": "SKU-Z"}, []),
        ({"email": "ada@example.com"}, expect(0, 2, 3, 6)),
        ({"email": "ADA@Example.COM"}, expect(0, 2, 3, 6)),
        ({"email": "ada.byron@example.com"}, expect(7)),
        ({"q": "grace"}, expect(1, 5)),
        ({"q": "HOPPER"}, expect(1, 5)),
        ({"q": "byron"}, expect(7)),
        ({"q": "W-4"}, expect(4)),
        ({"q": o[2]["id"]}, expect(2)),
        ({"q": "nobody"}, []),
        ({"created_from": o[2]["created_at"]}, expect(2, 3, 4, 5, 6, 7)),
        ({"created_to": o[2]["created_at"]}, expect(0, 1)),
        ({"created_from": o[2]["created_at"], "created_to": o[5]["created_at"]}, expect(2, 3, 4)),
        ({"channel": "web", "sku": "SKU-A"}, expect(0, 3, 6)),
        ({"email": "grace@navy.example", "channel": "market"}, expect(5)),
        ({"status": "allocated", "q": "ada"}, expect(0, 6, 7)),
    ]
    wrong = {}
    for params, expected in cases:
        r = api.get("/orders", params=params)
        got = [x["id"] for x in r.json()["items"]] if r.status_code == 200 else r.text
        if got != expected:
            wrong[str(params)] = {"expected": expected, "got": got}
    assert not wrong


def test_filters_and_cursor_work_together(api, orders):
    ids, sizes = walk(api, email="ada@example.com", limit=2)
    assert ids == [orders[i]["id"] for i in (6, 3, 2, 0)]
    assert sizes == [2, 2]
    ids, _ = walk(api, channel="web", limit=4)
    assert ids == [orders[i]["id"] for i in (7, 6, 4, 3, 1, 0)]


def test_channel_key_walks_only_its_own_orders(api, orders):
    ids, _ = walk(api, role="channel_market", limit=1)
    assert ids == [orders[5]["id"], orders[2]["id"]]
    ids, _ = walk(api, role="channel", limit=2)
    assert ids == [orders[i]["id"] for i in (7, 6, 4, 3, 1, 0)]


def test_created_range_accepts_any_utc_offset(api, orders):
    """2026-01-01T12:00:00+02:00 and 2026-01-01T10:00:00Z are the same instant (this once failed on
    SQLite, which compared the wall-clock text and ignored the offset)."""
    at = datetime.fromisoformat(orders[2]["created_at"].replace("Z", "+00:00"))
    for hours in (0, 2, -5):
        local = at.astimezone(timezone(timedelta(hours=hours))).isoformat()
        got = [x["id"] for x in api.get("/orders", params={"created_from": local}).json()["items"]]
        assert got == [o["id"] for o in reversed(orders[2:])], local
        before = [x["id"] for x in api.get("/orders", params={"created_to": local}).json()["items"]]
        assert before == [orders[1]["id"], orders[0]["id"]], local


GARBAGE_CURSORS = ["!!!", "abc", "////", "%%%", "x" * 500, "b3JkX3g" * 20, " ", "ord_01"]


LISTS = ["/orders", "/products", "/skus", "/inventory/levels", "/inventory/ledger"]


def test_garbage_cursor_is_400_and_limit_over_200_is_422(api):
    for path in LISTS:
        for cursor in GARBAGE_CURSORS:
            r = api.get(path, params={"cursor": cursor})
            assert r.status_code == 400, (path, cursor, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "invalid_cursor"
        for limit in (201, 1000, 0, -1):
            r = api.get(path, params={"limit": limit})
            assert r.status_code == 422, (path, limit, r.text)
            assert r.json()["code"] == "validation_error"
        assert api.get(path, params={"limit": 200}).status_code == 200


def test_other_lists_walk_each_item_once(api, orders):
    for path in LISTS[1:]:
        everything = [x["id"] for x in api.get(path, params={"limit": 200}).json()["items"]]
        assert len(everything) >= 2 and len(set(everything)) == len(everything), path
        ids, sizes = walk(api, path, limit=1)
        assert ids == everything, path
        assert sizes == [1] * len(everything), path
