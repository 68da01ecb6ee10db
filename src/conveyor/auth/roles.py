"""Roles and what they may do. Deny by default: an endpoint names the permission it needs and
only roles listing it get through."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPS = "ops"
    SUPPORT = "support"
    CHANNEL = "channel"
    READONLY = "readonly"


READ = {"catalog:read", "locations:read", "inventory:read", "orders:read", "channels:read", "routing:read",
        # buy and plan: suppliers, purchase orders, replenishment; reports and forecasts
        "purchasing:read", "reports:read", "automation:read",
        "returns:read",
        # money: payments and an order's financial view; invoices and credit notes
        "payments:read", "billing:read",
        # the warehouse floor: fulfilment orders, pick lists, packing slips, labels, manifests, 3PL files
        "fulfilment:read"}

# Customers' personal data (names, e-mail addresses, phones, addresses): shown unmasked only with
# `pii:read`; `privacy:manage` exports and erases a person's data (docs/operations.md, "Personal data").
PII_READ = "pii:read"
PRIVACY_MANAGE = "privacy:manage"
# What a key may be granted beyond its role (`conveyor keys create --grant pii:read`).
GRANTABLE = frozenset({PII_READ})

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(READ | {PII_READ, PRIVACY_MANAGE,
        "catalog:write", "locations:write", "inventory:write", "orders:create", "orders:write",
        "orders:fulfil", "channels:write", "keys:manage", "audit:run", "routing:write",
        "purchasing:write", "planning:write", "payments:write", "billing:export",
        # automation: rules and outbox replay; webhook subscriptions send order data out, so admins only
        "automation:write", "webhooks:manage",
        "returns:write", "returns:receive"}),
    Role.OPS: frozenset(READ | {PII_READ,
        "catalog:write", "locations:write", "inventory:write", "orders:create", "orders:write",
        "orders:fulfil", "audit:run", "routing:write", "purchasing:write", "planning:write", "automation:write",
        "returns:write", "returns:receive", "payments:write", "billing:export"}),
    # Support looks after customers: reads everything, holds/cancels/annotates orders, opens and
    # approves returns, takes payments and refunds them; no stock moves (receiving and grading
    # returns is the warehouse's). Personal data is masked for support unless the key is granted
    # `pii:read`.
    Role.SUPPORT: frozenset(READ | {"orders:create", "orders:write", "returns:write", "payments:write"}),
    # A channel acts for its own orders only (enforced by scoping, not by permission alone); the
    # personal data it reads is what it sent.
    Role.CHANNEL: frozenset({PII_READ, "catalog:read", "inventory:read", "orders:read", "orders:create",
                             "orders:write"}),
    Role.READONLY: frozenset(READ),
}


def allows(role: str, permission: str, grants: frozenset[str] = frozenset()) -> bool:
    if permission in grants and permission in GRANTABLE:
        return True
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False
