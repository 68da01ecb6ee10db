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
        # the warehouse floor: fulfilment orders, pick lists, packing slips, labels, manifests, 3PL files
        "fulfilment:read"}

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(READ | {
        "catalog:write", "locations:write", "inventory:write", "orders:create", "orders:write",
        "orders:fulfil", "channels:write", "keys:manage", "audit:run", "routing:write",
        "purchasing:write", "planning:write",
        # automation: rules and outbox replay; webhook subscriptions send order data out, so admins only
        "automation:write", "webhooks:manage"}),
    Role.OPS: frozenset(READ | {
        "catalog:write", "locations:write", "inventory:write", "orders:create", "orders:write",
        "orders:fulfil", "audit:run", "routing:write", "purchasing:write", "planning:write", "automation:write"}),
    # Support looks after customers: reads everything, holds/cancels/annotates orders, no stock moves.
    Role.SUPPORT: frozenset(READ | {"orders:create", "orders:write"}),
    # A channel acts for its own orders only (enforced by scoping, not by permission alone).
    Role.CHANNEL: frozenset({"catalog:read", "inventory:read", "orders:read", "orders:create", "orders:write"}),
    Role.READONLY: frozenset(READ),
}


def allows(role: str, permission: str) -> bool:
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False
