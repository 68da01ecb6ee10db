"""Who may call what: every operation in the OpenAPI document against every kind of caller.

The tables below are written out by hand on purpose. ENDPOINTS says which permission each
operation needs; GRANTS says which roles hold each permission (mirroring
src/conveyor/auth/roles.py). A new endpoint without a row here fails
`test_every_endpoint_has_a_rule`, and a change to the role definitions fails
`test_grants_match_the_role_definitions`, so both are deliberate decisions, never accidents.

Path parameters point at things that do not exist and bodies are `{}`: a caller that gets past
the permission check then sees 404/422, one that does not sees 403, and nothing is changed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from conveyor.auth.roles import PERMISSIONS, Role
from tests.e2e.conftest import order_body

PUBLIC = None  # no key needed
SIGNED = "webhook signature"  # a platform's webhook: authenticated by its signature, never by an API key

ENDPOINTS: dict[tuple[str, str], str | None] = {
    # A load balancer's health probe carries no key; it reveals only "ok", the version and the dialect.
    ("GET", "/api/v1/health"): PUBLIC,
    # Probes for orchestrators: the process is up / the database answers and is migrated.
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/api/v1/audit"): "audit:run",
    ("POST", "/api/v1/products"): "catalog:write",
    ("GET", "/api/v1/products"): "catalog:read",
    ("GET", "/api/v1/products/{product_id}"): "catalog:read",
    ("POST", "/api/v1/products/{product_id}/skus"): "catalog:write",
    ("GET", "/api/v1/skus"): "catalog:read",
    ("GET", "/api/v1/skus/{sku}"): "catalog:read",
    ("PATCH", "/api/v1/skus/{sku}"): "catalog:write",
    ("POST", "/api/v1/locations"): "locations:write",
    ("GET", "/api/v1/locations"): "locations:read",
    ("GET", "/api/v1/locations/{location}"): "locations:read",
    ("PATCH", "/api/v1/locations/{location}"): "locations:write",
    ("GET", "/api/v1/inventory/levels"): "inventory:read",
    ("GET", "/api/v1/inventory/availability/{sku}"): "inventory:read",
    ("GET", "/api/v1/inventory/ledger"): "inventory:read",
    ("POST", "/api/v1/inventory/receipts"): "inventory:write",
    ("POST", "/api/v1/inventory/adjustments"): "inventory:write",
    ("POST", "/api/v1/inventory/transfers"): "inventory:write",
    ("POST", "/api/v1/inventory/counts"): "inventory:write",
    ("PUT", "/api/v1/inventory/safety-stock"): "inventory:write",
    ("POST", "/api/v1/inventory/reservations"): "inventory:write",
    ("DELETE", "/api/v1/inventory/reservations/{reservation_id}"): "inventory:write",
    ("PUT", "/api/v1/inventory/hot-skus"): "inventory:write",
    ("POST", "/api/v1/orders"): "orders:create",
    ("GET", "/api/v1/orders"): "orders:read",
    ("GET", "/api/v1/orders/{order_id}"): "orders:read",
    ("GET", "/api/v1/orders/{order_id}/timeline"): "orders:read",
    ("GET", "/api/v1/orders/{order_id}/routing"): "orders:read",
    ("POST", "/api/v1/orders/{order_id}/cancel"): "orders:write",
    ("POST", "/api/v1/orders/{order_id}/hold"): "orders:write",
    ("POST", "/api/v1/orders/{order_id}/release"): "orders:write",
    ("POST", "/api/v1/orders/{order_id}/notes"): "orders:write",
    ("POST", "/api/v1/orders/{order_id}/tags"): "orders:write",
    ("POST", "/api/v1/orders/{order_id}/shipments"): "orders:fulfil",
    ("POST", "/api/v1/orders/{order_id}/deliver"): "orders:fulfil",
    ("POST", "/api/v1/orders/{order_id}/complete"): "orders:fulfil",
    ("POST", "/api/v1/orders/{order_id}/reroute"): "orders:fulfil",
    # Routing rules and what-if previews are staff tools: they reveal every location and its stock.
    ("GET", "/api/v1/routing/config"): "routing:read",
    ("PUT", "/api/v1/routing/config"): "routing:write",
    ("POST", "/api/v1/routing/preview"): "routing:read",  # a read with a body: computes, stores nothing
    ("GET", "/api/v1/channels"): "channels:read",
    ("POST", "/api/v1/channels"): "channels:write",
    ("GET", "/api/v1/channels/{code}"): "channels:read",
    ("PATCH", "/api/v1/channels/{code}"): "channels:write",
    ("POST", "/api/v1/channels/{code}/inbound"): SIGNED,
    ("GET", "/api/v1/channels/{code}/payloads"): "channels:read",
    ("GET", "/api/v1/channels/{code}/sku-map"): "channels:read",
    ("PUT", "/api/v1/channels/{code}/sku-map"): "channels:write",
    ("POST", "/api/v1/channels/{code}/sku-map/import"): "channels:write",
    ("POST", "/api/v1/channels/{code}/sku-map/release"): "channels:write",
    ("DELETE", "/api/v1/channels/{code}/sku-map/{channel_sku}"): "channels:write",
    ("POST", "/api/v1/channels/{code}/imports"): "orders:create",
    ("POST", "/api/v1/channels/{code}/pos/sales"): "orders:fulfil",
    ("GET", "/api/v1/channels/{code}/feeds/inventory.csv"): "channels:read",
    ("GET", "/api/v1/channels/{code}/feeds/orders.csv"): "channels:read",
    # Phone orders: taking, editing, discarding and confirming a draft is placing an order.
    ("POST", "/api/v1/channels/{code}/drafts"): "orders:create",
    ("GET", "/api/v1/channels/{code}/drafts"): "orders:read",
    ("GET", "/api/v1/channels/{code}/drafts/{draft_id}"): "orders:read",
    ("PATCH", "/api/v1/channels/{code}/drafts/{draft_id}"): "orders:create",
    ("DELETE", "/api/v1/channels/{code}/drafts/{draft_id}"): "orders:create",
    ("POST", "/api/v1/channels/{code}/drafts/{draft_id}/confirm"): "orders:create",
    # Customer lookup is a tool for taking orders, not a way to browse customers.
    ("GET", "/api/v1/channels/{code}/customers"): "orders:create",
    ("GET", "/api/v1/api-keys"): "keys:manage",
    ("POST", "/api/v1/api-keys"): "keys:manage",
    ("DELETE", "/api/v1/api-keys/{key_id}"): "keys:manage",
    # Data-subject requests: everything about one person, or its erasure.
    ("POST", "/api/v1/customers/export"): "privacy:manage",
    ("POST", "/api/v1/customers/erase"): "privacy:manage",
    # Buy and plan: suppliers and POs are staff business (costs); receiving moves stock; a drop-ship
    # confirmation ships a customer's order.
    ("POST", "/api/v1/suppliers"): "purchasing:write",
    ("GET", "/api/v1/suppliers"): "purchasing:read",
    ("GET", "/api/v1/suppliers/{supplier}"): "purchasing:read",
    ("PATCH", "/api/v1/suppliers/{supplier}"): "purchasing:write",
    ("GET", "/api/v1/suppliers/{supplier}/items"): "purchasing:read",
    ("PUT", "/api/v1/suppliers/{supplier}/items/{sku}"): "purchasing:write",
    ("DELETE", "/api/v1/suppliers/{supplier}/items/{sku}"): "purchasing:write",
    ("POST", "/api/v1/purchase-orders"): "purchasing:write",
    ("GET", "/api/v1/purchase-orders"): "purchasing:read",
    ("GET", "/api/v1/purchase-orders/{po_id}"): "purchasing:read",
    ("GET", "/api/v1/purchase-orders/{po_id}/pdf"): "purchasing:read",
    ("POST", "/api/v1/purchase-orders/{po_id}/send"): "purchasing:write",
    ("POST", "/api/v1/purchase-orders/{po_id}/cancel"): "purchasing:write",
    ("POST", "/api/v1/purchase-orders/{po_id}/close"): "purchasing:write",
    ("POST", "/api/v1/purchase-orders/{po_id}/asns"): "purchasing:write",
    ("GET", "/api/v1/purchase-orders/{po_id}/asns"): "purchasing:read",
    ("POST", "/api/v1/purchase-orders/{po_id}/receipts"): "inventory:write",
    ("POST", "/api/v1/purchase-orders/{po_id}/drop-ship-confirmation"): "orders:fulfil",
    ("PUT", "/api/v1/replenishment/settings"): "purchasing:write",
    ("GET", "/api/v1/replenishment/settings"): "purchasing:read",
    ("DELETE", "/api/v1/replenishment/settings"): "purchasing:write",
    ("GET", "/api/v1/replenishment/suggestions"): "purchasing:read",
    ("POST", "/api/v1/replenishment/run"): "purchasing:write",
    ("GET", "/api/v1/replenishment/alerts"): "purchasing:read",
    ("GET", "/api/v1/replenishment/availability/{sku}"): "inventory:read",
    ("POST", "/api/v1/transfers"): "inventory:write",
    ("GET", "/api/v1/transfers"): "inventory:read",
    ("POST", "/api/v1/transfers/{transfer_id}/{action}"): "inventory:write",
    ("PUT", "/api/v1/drop-ship/flags"): "purchasing:write",
    ("GET", "/api/v1/drop-ship/flags"): "purchasing:read",
    ("DELETE", "/api/v1/drop-ship/flags/{flag_id}"): "purchasing:write",
    ("POST", "/api/v1/drop-ship/orders/{order_id}"): "purchasing:write",
    # Reports and forecasts: sales figures are staff business.
    ("GET", "/api/v1/reports/sales"): "reports:read",
    ("GET", "/api/v1/reports/fulfilment"): "reports:read",
    ("GET", "/api/v1/reports/inventory"): "reports:read",
    ("GET", "/api/v1/reports/returns"): "reports:read",
    ("GET", "/api/v1/forecasts"): "reports:read",
    ("POST", "/api/v1/forecasts/run"): "planning:write",
    # Fulfilment: the warehouse floor fulfils (admin, ops); staff see its progress (fulfilment:read: it names
    # every channel's orders and addresses); a channel key sees its own orders' progress in GET /orders/{id}.
    ("GET", "/api/v1/fulfilment-orders"): "fulfilment:read",
    ("POST", "/api/v1/fulfilment-orders"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/release-due"): "orders:fulfil",
    ("GET", "/api/v1/fulfilment-orders/{fulfilment_order_id}"): "fulfilment:read",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/release"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/unrelease"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/exception"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/resolve"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/scan"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/unpack"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/packages"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/reopen"): "orders:fulfil",
    ("GET", "/api/v1/fulfilment-orders/{fulfilment_order_id}/box-suggestion"): "fulfilment:read",
    ("GET", "/api/v1/fulfilment-orders/{fulfilment_order_id}/packing-slip"): "fulfilment:read",
    ("GET", "/api/v1/fulfilment-orders/{fulfilment_order_id}/rates"): "fulfilment:read",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/labels"): "orders:fulfil",
    ("POST", "/api/v1/fulfilment-orders/{fulfilment_order_id}/ship"): "orders:fulfil",
    ("POST", "/api/v1/pick-lists"): "orders:fulfil",
    ("GET", "/api/v1/pick-lists"): "fulfilment:read",
    ("GET", "/api/v1/pick-lists/{pick_list_id}"): "fulfilment:read",
    ("GET", "/api/v1/pick-lists/{pick_list_id}/pdf"): "fulfilment:read",
    ("POST", "/api/v1/pick-lists/{pick_list_id}/confirm"): "orders:fulfil",
    # Shipping: a storefront (channel key) may validate numbers and ask for a delivery promise.
    ("POST", "/api/v1/tracking-numbers/validate"): "orders:read",
    ("POST", "/api/v1/delivery-promise"): "orders:read",
    ("GET", "/api/v1/carriers"): "orders:read",
    ("GET", "/api/v1/carriers/{carrier}"): "orders:read",
    ("PUT", "/api/v1/carriers/{carrier}"): "locations:write",
    ("GET", "/api/v1/labels/{label_id}"): "fulfilment:read",
    ("GET", "/api/v1/labels/{label_id}/pdf"): "fulfilment:read",
    ("GET", "/api/v1/labels/{label_id}/zpl"): "fulfilment:read",
    ("POST", "/api/v1/labels/{label_id}/void"): "orders:fulfil",
    ("POST", "/api/v1/tracking/events"): "orders:fulfil",
    ("POST", "/api/v1/tracking/events/csv"): "orders:fulfil",
    ("POST", "/api/v1/tracking/webhooks/easypost"): SIGNED,
    ("GET", "/api/v1/manifests"): "fulfilment:read",
    # 3PL: its confirmations ship orders (fulfil); its stock reports and their resolution are stock.
    ("GET", "/api/v1/3pl/{location}/requests.csv"): "fulfilment:read",
    ("POST", "/api/v1/3pl/confirmations"): "orders:fulfil",
    ("POST", "/api/v1/3pl/{location}/snapshots"): "inventory:write",
    ("GET", "/api/v1/3pl/discrepancies"): "inventory:read",
    ("POST", "/api/v1/3pl/discrepancies/{discrepancy_id}/resolve"): "inventory:write",
    ("GET", "/api/v1/locations/{location}/fulfilment-settings"): "locations:read",
    ("PUT", "/api/v1/locations/{location}/fulfilment-settings"): "locations:write",
    ("GET", "/api/v1/locations/{location}/bins"): "locations:read",
    ("PUT", "/api/v1/locations/{location}/bins"): "locations:write",
    ("GET", "/api/v1/box-sizes"): "locations:read",
    ("PUT", "/api/v1/box-sizes/{box_code}"): "locations:write",
    # The last mile is a carrier/fulfilment fact, like a delivery.
    ("POST", "/api/v1/orders/{order_id}/out-for-delivery"): "orders:fulfil",
    # Webhook subscriptions send every order's data to a URL: only admins manage them.
    ("POST", "/api/v1/webhooks"): "webhooks:manage",
    ("GET", "/api/v1/webhooks"): "automation:read",
    ("GET", "/api/v1/webhooks/{subscription_id}"): "automation:read",
    ("PATCH", "/api/v1/webhooks/{subscription_id}"): "webhooks:manage",
    ("DELETE", "/api/v1/webhooks/{subscription_id}"): "webhooks:manage",
    ("POST", "/api/v1/webhooks/{subscription_id}/ping"): "webhooks:manage",
    ("GET", "/api/v1/webhooks/{subscription_id}/deliveries"): "automation:read",
    ("POST", "/api/v1/webhooks/{subscription_id}/replay"): "webhooks:manage",
    ("GET", "/api/v1/outbox"): "automation:read",
    ("POST", "/api/v1/outbox/replay"): "automation:write",
    # Returns: support opens, approves and resolves returns for customers; receiving and grading
    # move stock (admin, ops); everyone who reads orders sees them. A customer's return link is
    # its own proof (a signed token naming the order), never an API key.
    ("POST", "/api/v1/orders/{order_id}/returns"): "returns:write",
    ("GET", "/api/v1/orders/{order_id}/returns"): "returns:read",
    ("POST", "/api/v1/orders/{order_id}/return-link"): "returns:write",
    ("GET", "/api/v1/returns"): "returns:read",
    ("GET", "/api/v1/returns/{return_id}"): "returns:read",
    ("GET", "/api/v1/returns/{return_id}/label"): "returns:read",
    ("POST", "/api/v1/returns/{return_id}/approve"): "returns:write",
    ("POST", "/api/v1/returns/{return_id}/reject"): "returns:write",
    ("POST", "/api/v1/returns/{return_id}/cancel"): "returns:write",
    ("POST", "/api/v1/returns/{return_id}/label"): "returns:write",
    ("POST", "/api/v1/returns/{return_id}/receive"): "returns:receive",
    ("POST", "/api/v1/returns/{return_id}/grade"): "returns:receive",
    ("POST", "/api/v1/returns/{return_id}/resolve"): "returns:write",
    ("POST", "/api/v1/returns/{return_id}/refund"): "returns:write",
    ("GET", "/api/v1/customers/{email}/store-credit"): "returns:read",
    ("GET", "/api/v1/return-links/{token}"): SIGNED,
    ("POST", "/api/v1/return-links/{token}/returns"): SIGNED,
    # Quarantined returns back to stock or written off: a stock move.
    ("POST", "/api/v1/inventory/quarantine"): "inventory:write",
    ("GET", "/api/v1/automation/rules"): "automation:read",
    ("POST", "/api/v1/automation/rules"): "automation:write",
    ("GET", "/api/v1/automation/rules/{rule_id}"): "automation:read",
    ("PUT", "/api/v1/automation/rules/{rule_id}"): "automation:write",
    ("DELETE", "/api/v1/automation/rules/{rule_id}"): "automation:write",
    ("POST", "/api/v1/automation/rules/dry-run"): "automation:read",  # a read with a body: changes nothing
    # Money: reading payments and documents is everyone's but a channel's; support takes payments and
    # refunds customers; the accounting export is for the back office (admin, ops).
    ("GET", "/api/v1/orders/{order_id}/payments"): "payments:read",
    ("POST", "/api/v1/orders/{order_id}/payments"): "payments:write",
    ("GET", "/api/v1/orders/{order_id}/financials"): "payments:read",
    ("POST", "/api/v1/orders/{order_id}/refunds"): "payments:write",
    ("GET", "/api/v1/payments/{payment_id}"): "payments:read",
    ("POST", "/api/v1/payments/{payment_id}/capture"): "payments:write",
    ("POST", "/api/v1/payments/{payment_id}/mark-paid"): "payments:write",
    ("POST", "/api/v1/payments/{payment_id}/void"): "payments:write",
    ("GET", "/api/v1/payment-providers"): "payments:read",
    ("GET", "/api/v1/orders/{order_id}/invoices"): "billing:read",
    ("GET", "/api/v1/orders/{order_id}/credit-notes"): "billing:read",
    ("GET", "/api/v1/invoices"): "billing:read",
    ("GET", "/api/v1/invoices/{invoice_id}"): "billing:read",
    ("GET", "/api/v1/invoices/{invoice_id}/pdf"): "billing:read",
    ("GET", "/api/v1/credit-notes"): "billing:read",
    ("GET", "/api/v1/credit-notes/{credit_note_id}"): "billing:read",
    ("GET", "/api/v1/credit-notes/{credit_note_id}/pdf"): "billing:read",
    ("GET", "/api/v1/accounting/journal"): "billing:export",
    ("GET", "/api/v1/accounting/payouts"): "billing:export",
}

ALL = {"admin", "ops", "support", "channel", "readonly"}
GRANTS: dict[str, set[str]] = {
    "catalog:read": ALL,
    "locations:read": ALL - {"channel"},
    "inventory:read": ALL,
    "orders:read": ALL,
    "channels:read": ALL - {"channel"},
    "catalog:write": {"admin", "ops"},
    "locations:write": {"admin", "ops"},
    "inventory:write": {"admin", "ops"},
    "orders:create": {"admin", "ops", "support", "channel"},
    "orders:write": {"admin", "ops", "support", "channel"},
    "orders:fulfil": {"admin", "ops"},
    "channels:write": {"admin"},
    "keys:manage": {"admin"},
    "audit:run": {"admin", "ops"},
    "routing:write": {"admin", "ops"},
    "routing:read": ALL - {"channel"},
    "purchasing:read": ALL - {"channel"},
    "reports:read": ALL - {"channel"},
    "purchasing:write": {"admin", "ops"},
    "planning:write": {"admin", "ops"},
    "automation:read": ALL - {"channel"},
    "fulfilment:read": ALL - {"channel"},
    "automation:write": {"admin", "ops"},
    "webhooks:manage": {"admin"},
    "returns:read": ALL - {"channel"},
    "returns:write": {"admin", "ops", "support"},
    "returns:receive": {"admin", "ops"},
    "payments:read": ALL - {"channel"},
    "payments:write": {"admin", "ops", "support"},
    "billing:read": ALL - {"channel"},
    "billing:export": {"admin", "ops"},
    # Personal data unmasked (a channel reads what it sent); export and erasure.
    "pii:read": {"admin", "ops", "channel"},
    "privacy:manage": {"admin"},
}

# The api fixture's key names → the role they carry.
CALLERS = {"admin": "admin", "ops": "ops", "support": "support", "readonly": "readonly",
           "channel": "channel", "channel_market": "channel"}

MISSING = {"product_id": "prd_doesnotexist", "sku": "NO-SUCH-SKU", "location": "NO-SUCH-LOC",
           "reservation_id": "rsv_doesnotexist", "order_id": "ord_doesnotexist", "key_id": "key_doesnotexist",
           "code": "no-such-channel", "channel_sku": "NO-SUCH-CHANNEL-SKU", "draft_id": "drf_doesnotexist",
           "supplier": "NO-SUCH-SUPPLIER", "po_id": "po_doesnotexist", "transfer_id": "trf_doesnotexist",
           "action": "ship", "flag_id": "dsf_doesnotexist",
           "fulfilment_order_id": "ffo_doesnotexist", "pick_list_id": "pkl_doesnotexist",
           "label_id": "lbl_doesnotexist", "carrier": "no-such-carrier", "discrepancy_id": "tpd_doesnotexist",
           "box_code": "NO-SUCH-BOX",
           "subscription_id": "whk_doesnotexist", "rule_id": "rul_doesnotexist",
           "return_id": "rma_doesnotexist", "email": "nobody@example.com", "token": "not-a-token",
           "payment_id": "pay_doesnotexist", "invoice_id": "inv_doesnotexist", "credit_note_id": "crn_doesnotexist"}


def _operations(app) -> list[tuple[str, str]]:
    return sorted((method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops)


def _call(api, method: str, path: str, headers: dict[str, str]):
    url = path.format(**MISSING)
    if method in ("GET", "DELETE"):
        return api.client.request(method, url, headers=headers)
    return api.client.request(method, url, headers=headers, json={})


def _assert_problem(r, status: int, code: str) -> None:
    assert r.status_code == status, (r.request.method, r.request.url.path, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


def _counts(container) -> dict[str, int]:
    tables = ["orders", "order_events", "stock_ledger", "products", "skus", "locations", "channels",
              "api_keys", "reservations", "idempotency_keys", "draft_orders", "fulfilment_orders", "pick_lists",
              "shipping_labels", "tracking_events", "carriers", "box_sizes", "bins", "fulfilment_settings",
              "tpl_snapshots", "returns", "return_lines", "store_credit_entries", "payments", "payment_attempts",
              "invoices", "credit_notes"]
    with container.reader() as uow:
        return {t: uow.session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


def test_every_endpoint_has_a_rule(api):
    operations = _operations(api.client.app)
    missing = [op for op in operations if op not in ENDPOINTS]
    assert not missing, f"endpoints without an auth rule in this test: {missing}"


def test_grants_match_the_role_definitions():
    assert set(GRANTS) == set().union(*PERMISSIONS.values())
    for permission, roles in GRANTS.items():
        actual = {r.value for r in Role if permission in PERMISSIONS[r]}
        assert actual == roles, permission


def test_without_a_valid_key_every_endpoint_is_401(api, container):
    revoked = api.post("/api-keys", {"role": "admin", "name": "soon revoked"}).json()
    assert api.delete(f"/api-keys/{revoked['id']}").status_code == 200
    admin_key_id = api.tokens["admin"].split("_")[1] + "_" + api.tokens["admin"].split("_")[2]
    bad_headers = {
        "no header": {},
        "empty bearer": {"Authorization": "Bearer "},
        "not a key": {"Authorization": "Bearer not-a-key"},
        "unknown key id": {"Authorization": "Bearer cvk_key_01aaaaaaaaaaaaaaaaaaaaaaaa_secret"},
        "wrong secret": {"Authorization": f"Bearer cvk_{admin_key_id}_wrongsecret"},
        "revoked": {"Authorization": f"Bearer {revoked['token']}"},
        "wrong scheme": {"Authorization": f"Basic {api.tokens['admin']}"},
        "token without scheme": {"Authorization": api.tokens["admin"]},
    }
    before = _counts(container)
    checked = 0
    for method, path in _operations(api.client.app):
        if ENDPOINTS[(method, path)] in (PUBLIC, SIGNED):
            continue
        for headers in bad_headers.values():
            r = _call(api, method, path, headers)
            _assert_problem(r, 401, "unauthorized")
            assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
            checked += 1
    assert checked >= 40 * len(bad_headers)
    assert _counts(container) == before


def test_public_endpoints_need_no_key(api):
    for (method, path), permission in ENDPOINTS.items():
        if permission is PUBLIC:
            r = api.client.request(method, path)
            assert r.status_code == 200, (path, r.text)


def test_each_role_is_allowed_or_forbidden_exactly_as_the_table_says(api, container):
    before = _counts(container)
    for method, path in _operations(api.client.app):
        permission = ENDPOINTS[(method, path)]
        if permission in (PUBLIC, SIGNED):
            continue
        for caller, role in CALLERS.items():
            r = _call(api, method, path, api.headers(caller))
            if role in GRANTS[permission]:
                # Past the gate: the missing resource or the empty body is what stops it.
                assert r.status_code not in (401, 403) and r.status_code < 500, \
                    (caller, method, path, r.status_code, r.text)
            else:
                _assert_problem(r, 403, "forbidden")
                assert r.json()["permission"] == permission
    assert _counts(container) == before


def test_readonly_cannot_write_anything(api, container):
    order = api.post("/orders", order_body()).json()
    ids = {**MISSING, "order_id": order["id"], "sku": "SKU-A", "location": "WH1", "code": "web"}
    before = _counts(container)
    # Every non-GET except a platform webhook and reads that take a body (routing preview).
    writes = [(m, p) for m, p in _operations(api.client.app)
              if m != "GET" and ENDPOINTS[(m, p)] != SIGNED and not ENDPOINTS[(m, p)].endswith(":read")]
    assert len(writes) >= 20
    for method, path in writes:
        r = api.client.request(method, path.format(**ids), headers=api.headers("readonly"),
                               **({} if method == "DELETE" else {"json": {}}))
        _assert_problem(r, 403, "forbidden")
    assert _counts(container) == before
    shown = api.get(f"/orders/{order['id']}").json()
    # GET adds where the order ships from and what left (POST answers with the order alone).
    assert [fo["status"] for fo in shown.pop("fulfilment_orders")] == ["pending"]
    assert shown.pop("shipments") == []
    assert shown == order


def _level(api, sku: str = "SKU-A", location: str = "WH1") -> dict:
    return api.get("/inventory/levels", params={"sku": sku, "location": location}).json()["items"][0]


def test_support_cannot_move_stock(api, container):
    requests = [
        ("POST", "/inventory/adjustments",
         {"sku": "SKU-A", "location": "WH1", "delta": -3, "reason": "damaged"}),
        ("POST", "/inventory/receipts", {"sku": "SKU-A", "location": "WH1", "quantity": 5}),
        ("POST", "/inventory/transfers",
         {"sku": "SKU-A", "source": "WH1", "destination": "WH2", "quantity": 2}),
        ("POST", "/inventory/counts", {"location": "WH1", "counts": {"SKU-A": 99}}),
        ("PUT", "/inventory/safety-stock", {"sku": "SKU-A", "location": "WH1", "quantity": 4}),
        ("POST", "/inventory/reservations", {"sku": "SKU-A", "location": "WH1", "quantity": 1}),
    ]
    wh1, before = _level(api), _counts(container)
    for method, path, body in requests:
        r = api.client.request(method, f"/api/v1{path}", headers=api.headers("support"), json=body)
        _assert_problem(r, 403, "forbidden")
        assert r.json()["permission"] == "inventory:write"
    assert _level(api) == wh1
    assert _counts(container) == before
    # The same bodies are valid: ops may do every one of them.
    for method, path, body in requests:
        r = api.client.request(method, f"/api/v1{path}", headers=api.headers("ops"), json=body)
        assert r.status_code in (200, 201), (path, r.text)


def test_support_looks_after_customers(api):
    """What support may do, done for real (not only 'not 403')."""
    created = api.post("/orders", order_body({"SKU-A": 1}), role="support")
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    held = api.post(f"/orders/{oid}/hold", {"reason": "address check"}, role="support")
    assert held.json()["status"] == "on_hold"
    assert api.post(f"/orders/{oid}/notes", {"text": "called customer"}, role="support").status_code == 200
    assert api.post(f"/orders/{oid}/release", role="support").json()["status"] == "allocated"
    cancelled = api.post(f"/orders/{oid}/cancel", {"reason": "asked"}, role="support")
    assert cancelled.json()["status"] == "cancelled"
    assert api.post(f"/orders/{oid}/shipments", {"location": "WH1"}, role="support").status_code == 403


# --- channel keys act for their own channel only -------------------------------------------------


@pytest.fixture
def two_channels(api):
    web = api.post("/orders", order_body({"SKU-A": 1}, channel=None, external_id="W-1"), role="channel")
    market = api.post("/orders", order_body({"SKU-B": 1}, channel=None, external_id="M-1"),
                      role="channel_market")
    assert (web.status_code, market.status_code) == (201, 201), (web.text, market.text)
    return web.json(), market.json()


def test_channel_key_sees_another_channels_order_as_not_found(api, two_channels):
    web, market = two_channels
    oid = market["id"]
    timeline_before = api.get(f"/orders/{oid}/timeline").json()
    attempts = [
        ("GET", f"/orders/{oid}", None),
        ("GET", f"/orders/{oid}/timeline", None),
        ("GET", f"/orders/{oid}/routing", None),
        ("POST", f"/orders/{oid}/cancel", {"reason": "not mine"}),
        ("POST", f"/orders/{oid}/hold", {"reason": "not mine"}),
        ("POST", f"/orders/{oid}/release", None),
        ("POST", f"/orders/{oid}/notes", {"text": "hello from web"}),
        ("POST", f"/orders/{oid}/tags", {"add": ["web-was-here"]}),
    ]
    for method, path, body in attempts:
        r = api.client.request(method, f"/api/v1{path}", headers=api.headers("channel"), json=body)
        # 404, not 403: another channel's order ids must not even be confirmed to exist.
        _assert_problem(r, 404, "not_found")
    # Its own order answers normally to the same requests.
    assert api.get(f"/orders/{web['id']}", role="channel").status_code == 200
    assert api.post(f"/orders/{web['id']}/tags", {"add": ["mine"]}, role="channel").json()["tags"] == ["mine"]
    # And the other channel's order is exactly as it was.
    after = api.get(f"/orders/{oid}").json()
    assert (after["status"], after["tags"], after["notes"], after["updated_at"]) == \
        (market["status"], market["tags"], market["notes"], market["updated_at"])
    assert api.get(f"/orders/{oid}/timeline").json() == timeline_before
    assert _level(api, "SKU-B")["allocated"] == 1


def test_channel_key_lists_only_its_own_orders(api, two_channels):
    web, market = two_channels
    admin_sees = {o["id"] for o in api.get("/orders").json()["items"]}
    assert admin_sees == {web["id"], market["id"]}
    for params in ({}, {"channel": "market"}, {"q": market["id"]}, {"q": "M-1"}, {"sku": "SKU-B"},
                   {"status": market["status"]}):
        listed = [o["id"] for o in api.get("/orders", role="channel", params=params).json()["items"]]
        assert market["id"] not in listed, params
    assert [o["id"] for o in api.get("/orders", role="channel").json()["items"]] == [web["id"]]
    assert [o["id"] for o in api.get("/orders", role="channel_market").json()["items"]] == [market["id"]]


def test_channel_key_cannot_place_an_order_for_another_channel(api, container):
    before, level = _counts(container), _level(api)
    r = api.post("/orders", order_body({"SKU-A": 1}, channel="market"), role="channel")
    _assert_problem(r, 403, "forbidden")
    assert _counts(container) == before
    assert _level(api) == level
    # Naming its own channel, or none, is fine and lands in its own channel.
    own = api.post("/orders", order_body({"SKU-A": 1}, channel="web"), role="channel")
    implicit = api.post("/orders", order_body({"SKU-A": 1}, channel=None), role="channel")
    assert (own.status_code, implicit.status_code) == (201, 201)
    assert own.json()["channel_id"] == implicit.json()["channel_id"]
    listed = {o["id"] for o in api.get("/orders", role="channel").json()["items"]}
    assert listed == {own.json()["id"], implicit.json()["id"]}


def test_channel_key_cannot_fulfil_even_its_own_orders(api, two_channels):
    web, _ = two_channels
    for path, body in [("shipments", {"location": "WH1"}), ("deliver", {}), ("complete", None)]:
        r = api.post(f"/orders/{web['id']}/{path}", body, role="channel")
        _assert_problem(r, 403, "forbidden")
    assert api.get(f"/orders/{web['id']}").json()["status"] == "allocated"


def test_revoking_a_key_locks_it_out_immediately(api):
    created = api.post("/api-keys", {"role": "ops", "name": "temp"})
    assert created.status_code == 201
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/orders", headers=headers).status_code == 200
    assert api.delete(f"/api-keys/{created.json()['id']}").json()["revoked_at"] is not None
    _assert_problem(api.client.get("/api/v1/orders", headers=headers), 401, "unauthorized")
    assert all("token" not in k for k in api.get("/api-keys").json())


def test_unauthenticated_caller_learns_nothing_from_validation(api):
    """401 comes first: no parser details, no 404-vs-405 difference for a caller without a key."""
    r = api.client.post("/api/v1/orders", content=b'{"currency": ',
                        headers={"content-type": "application/json"})
    _assert_problem(r, 401, "unauthorized")
    _assert_problem(api.client.post("/api/v1/orders", json={"lines": "nonsense"}), 401, "unauthorized")
    _assert_problem(api.client.delete("/api/v1/orders"), 401, "unauthorized")
    _assert_problem(api.client.get("/api/v1/no-such-thing"), 401, "unauthorized")


def test_channel_key_cannot_import_orders_into_another_channel(api, container):
    before = _counts(container)
    csv_text = "order_id,sku,quantity,unit_price,currency\nX-1,SKU-A,1,10.00,USD\n"
    r = api.client.post("/api/v1/channels/market/imports", content=csv_text.encode(),
                        headers=api.headers("channel", **{"content-type": "text/csv"}))
    assert api.get("/orders", role="channel_market").json()["items"] == []
    _assert_problem(r, 403, "forbidden")
    assert _counts(container)["orders"] == before["orders"]
    assert _counts(container)["returns"] == before["returns"]


def test_webhook_endpoints_refuse_unsigned_calls(api, container):
    before = _counts(container)
    for (method, path), rule in ENDPOINTS.items():
        if rule == SIGNED:
            for headers in ({}, api.headers("admin")):  # an API key is no substitute for a signature
                r = api.client.request(method, path.format(code="web", token=MISSING["token"]), json={"id": 1},
                                       headers=headers)
                assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
    assert _counts(container)["orders"] == before["orders"]
    assert _counts(container)["returns"] == before["returns"]


# --- channel keys against another channel's data: by id, by list, by filter --------------------------


def test_channel_key_never_sees_another_channels_data(api, two_channels):
    """`channel` (web) against `market`'s order: its ledger rows, inbound payloads, customers,
    fulfilment orders and the routing configuration - each asked for by id, by list and by filter.
    Every answer is a refusal or an empty result, and the same questions from staff are not."""
    _, market = two_channels
    oid, sku_b = market["id"], "SKU-B"  # only market's order took SKU-B
    email = "market-only@example.com"
    api.post(f"/orders/{oid}/notes", {"text": "n"})  # the order stays market's
    other = api.post("/orders", order_body({"SKU-A": 1}, channel=None, external_id="M-2",
                                           customer={"name": "Mia Market", "email": email}), role="channel_market")
    assert other.status_code == 201, other.text
    fo_id = api.get("/fulfilment-orders", params={"order_id": oid}).json()["items"][0]["id"]

    def rows(path, **params):
        r = api.get(path, role="channel", params=params)
        assert r.status_code == 200, (path, r.text)
        return r.json()["items"] if isinstance(r.json(), dict) else r.json()

    # The stock ledger: by the order's id (the reference), by list, by SKU filter.
    assert rows("/inventory/ledger", reference=oid) == []
    assert oid not in {e["reference_id"] for e in rows("/inventory/ledger", limit=200)}
    assert oid not in {e["reference_id"] for e in rows("/inventory/ledger", sku=sku_b, limit=200)}
    # Orders: by id (404, not 403: ids of other channels are not confirmed), by list, by filter.
    _assert_problem(api.get(f"/orders/{oid}", role="channel"), 404, "not_found")
    for params in ({}, {"email": email}, {"q": "M-2"}, {"sku": sku_b}, {"channel": "market"}):
        assert not {o["id"] for o in rows("/orders", **params)} & {oid, other.json()["id"]}, params
    # Customers: another channel's lookup is refused; its own finds none of the other channel's people.
    _assert_problem(api.get("/channels/market/customers", role="channel", params={"q": email}), 403, "forbidden")
    assert rows("/channels/web/customers", q=email) == []
    assert rows("/channels/web/customers", q="Mia") == []
    # Inbound payloads (raw platform deliveries) and the routing configuration are staff tools.
    for path in ("/channels/market/payloads", "/channels/web/payloads", "/routing/config"):
        _assert_problem(api.get(path, role="channel"), 403, "forbidden")
    _assert_problem(api.put("/routing/config", {}, role="channel"), 403, "forbidden")
    # The warehouse floor names every channel's orders and addresses: staff only.
    for path in ("/fulfilment-orders", f"/fulfilment-orders/{fo_id}", f"/fulfilment-orders/{fo_id}/packing-slip",
                 "/pick-lists"):
        _assert_problem(api.get(path, role="channel"), 403, "forbidden")
    # Staff asking the same questions get the answers (so the refusals above are about the caller).
    assert api.get("/inventory/ledger", params={"reference": oid}).json()["items"]
    assert [c["email"] for c in api.get("/channels/market/customers", params={"q": email}).json()] == [email]
    assert api.get(f"/fulfilment-orders/{fo_id}", role="support").status_code == 200
