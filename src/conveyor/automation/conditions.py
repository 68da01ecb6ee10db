"""Condition trees of automation rules: parsing (with the path of every mistake) and evaluation.

A condition is a JSON object, one of
    {"all": [cond, ...]}      every child holds
    {"any": [cond, ...]}      at least one child holds
    {"not": cond}             the child does not hold
    {"field": name, "op": op, "value": v}    a leaf over one `OrderFacts` field
(`{"field": "quantity", "sku": "TEE-M", "op": "gte", "value": 5}` for one SKU's quantity).
Which operators a field takes depends on its type (`OPERATORS`); docs/automation.md lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from conveyor.automation.facts import FIELDS, WEEKDAYS, FieldType, OrderFacts
from conveyor.shared.errors import DomainError
from conveyor.shared.money import to_minor

_ORDERING = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.TEXT: ("eq", "ne", "in", "not_in", "starts_with"),
    FieldType.NUMBER: _ORDERING,
    FieldType.QUANTITY: _ORDERING,
    FieldType.MONEY: _ORDERING,
    FieldType.SET: ("contains", "not_contains", "contains_any", "contains_all", "contains_none", "empty"),
    FieldType.BOOLEAN: ("eq",),
    FieldType.TIME: ("before", "after", "between"),
    FieldType.WEEKDAY: ("eq", "ne", "in", "not_in"),
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class Issue:
    path: str
    message: str


class Invalid(Exception):
    """One mistake at one place in a rule document (collected by the rule parser)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.issue = Issue(path, message)


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Condition


@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    op: str
    value: Any  # normalised: minor units for money, `time` for times, frozenset for lists
    sku: str = ""


Condition = All | AnyOf | Not | Leaf


def parse_condition(doc: Any, path: str, issues: list[Issue]) -> Condition | None:
    """Parse one condition; mistakes are appended to `issues` (all of them, not just the first)."""
    if not isinstance(doc, dict):
        issues.append(Issue(path, "a condition must be an object with all, any, not or field"))
        return None
    groups = [key for key in ("all", "any", "not") if key in doc]
    if groups:
        return _parse_group(doc, groups, path, issues)
    try:
        return _parse_leaf(doc, path)
    except Invalid as bad:
        issues.append(bad.issue)
        return None


def _parse_group(doc: dict[str, Any], groups: list[str], path: str, issues: list[Issue]) -> Condition | None:
    if len(doc) != 1:
        issues.append(Issue(path, f"{groups[0]!r} must be the only key of its object, found {sorted(doc)}"))
        return None
    key = groups[0]
    if key == "not":
        child = parse_condition(doc["not"], f"{path}.not", issues)
        return Not(child) if child is not None else None
    items = doc[key]
    if not isinstance(items, list) or not items:
        issues.append(Issue(f"{path}.{key}", "must be a non-empty list of conditions"))
        return None
    children = [parse_condition(item, f"{path}.{key}[{i}]", issues) for i, item in enumerate(items)]
    if any(child is None for child in children):
        return None
    kept = tuple(child for child in children if child is not None)
    return All(kept) if key == "all" else AnyOf(kept)


def _parse_leaf(doc: dict[str, Any], path: str) -> Leaf:
    name = doc.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None or not isinstance(name, str):
        raise Invalid(f"{path}.field", f"unknown field {name!r}; known: {', '.join(sorted(FIELDS))}")
    allowed_keys = {"field", "op", "value"} | ({"sku"} if spec.type is FieldType.QUANTITY else set())
    if extra := sorted(set(doc) - allowed_keys):
        raise Invalid(f"{path}.{extra[0]}", f"unexpected key; a leaf has {', '.join(sorted(allowed_keys))}")
    op = doc.get("op")
    if op not in OPERATORS[spec.type]:
        raise Invalid(f"{path}.op", f"unknown op {op!r} for {spec.type} field {name!r}; "
                                    f"use one of {', '.join(OPERATORS[spec.type])}")
    if "value" not in doc:
        raise Invalid(f"{path}.value", "missing")
    sku = doc.get("sku", "")
    if spec.type is FieldType.QUANTITY and (not isinstance(sku, str) or not sku):
        raise Invalid(f"{path}.sku", "the quantity field needs the SKU it counts")
    return Leaf(name, op, _parse_value(spec.type, op, doc["value"], f"{path}.value"), sku)


def _parse_value(kind: FieldType, op: str, value: Any, path: str) -> Any:
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise Invalid(path, "between takes a list of two bounds [low, high]")
        return tuple(_scalar(kind, item, f"{path}[{i}]") for i, item in enumerate(value))
    if op in ("in", "not_in", "contains_any", "contains_all", "contains_none"):
        if not isinstance(value, list) or not value:
            raise Invalid(path, f"{op} takes a non-empty list")
        item_kind = FieldType.TEXT if kind is FieldType.SET else kind
        return frozenset(_scalar(item_kind, item, f"{path}[{i}]") for i, item in enumerate(value))
    if op == "empty":
        return _scalar(FieldType.BOOLEAN, value, path)
    return _scalar(FieldType.TEXT if kind is FieldType.SET else kind, value, path)


def _scalar(kind: FieldType, value: Any, path: str) -> Any:
    if kind in (FieldType.NUMBER, FieldType.QUANTITY):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(path, f"expected a number, got {value!r}")
        return value
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise Invalid(path, f"expected true or false, got {value!r}")
        return value
    if kind is FieldType.MONEY:
        return _money(value, path)
    if kind is FieldType.TIME:
        if not isinstance(value, str) or not _HHMM.match(value):
            raise Invalid(path, f"expected a time of day as \"HH:MM\", got {value!r}")
        return time(int(value[:2]), int(value[3:]))
    if not isinstance(value, str) or not value:
        raise Invalid(path, f"expected a non-empty string, got {value!r}")
    if kind is FieldType.WEEKDAY and value.lower() not in WEEKDAYS:
        raise Invalid(path, f"expected a weekday ({', '.join(WEEKDAYS)}), got {value!r}")
    return value.casefold()


def _money(value: Any, path: str) -> tuple[int, str]:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise Invalid(path, 'money is {"amount": "500.00", "currency": "EUR"}')
    try:
        return to_minor(str(value["amount"]), str(value["currency"])), str(value["currency"])
    except DomainError as exc:
        raise Invalid(path, exc.detail) from exc


def holds(condition: Condition, facts: OrderFacts) -> bool:
    """Does the condition hold for this order?"""
    if isinstance(condition, All):
        return all(holds(child, facts) for child in condition.children)
    if isinstance(condition, AnyOf):
        return any(holds(child, facts) for child in condition.children)
    if isinstance(condition, Not):
        return not holds(condition.child, facts)
    return _leaf_holds(condition, facts)


def _leaf_holds(leaf: Leaf, facts: OrderFacts) -> bool:
    spec = FIELDS[leaf.field]
    actual = spec.read(facts)
    if spec.type is FieldType.QUANTITY:
        return _compare(actual.get(leaf.sku, 0), leaf.op, leaf.value)
    if spec.type is FieldType.MONEY:
        return _compare_money(actual, leaf.op, leaf.value)
    if spec.type is FieldType.SET:
        return _set_holds({item.casefold() for item in actual}, leaf.op, leaf.value)
    if spec.type is FieldType.TIME:
        return _time_holds(actual, leaf.op, leaf.value)
    if spec.type in (FieldType.TEXT, FieldType.WEEKDAY):
        return _text_holds(str(actual).casefold(), leaf.op, leaf.value)
    return _compare(actual, leaf.op, leaf.value)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "between":
        low, high = expected
        return bool(low <= actual <= high)
    return {
        "eq": lambda: actual == expected, "ne": lambda: actual != expected,
        "gt": lambda: actual > expected, "gte": lambda: actual >= expected,
        "lt": lambda: actual < expected, "lte": lambda: actual <= expected,
    }[op]()


def _compare_money(actual: tuple[int, str], op: str, expected: Any) -> bool:
    minor, currency = actual
    bounds = expected if op == "between" else (expected,)
    if any(bound[1] != currency for bound in bounds):
        return False  # an amount in another currency says nothing about this order
    plain = tuple(bound[0] for bound in bounds) if op == "between" else expected[0]
    return _compare(minor, op, plain)


def _set_holds(actual: set[str], op: str, expected: Any) -> bool:
    if op == "empty":
        return (not actual) == expected
    if op == "contains":
        return expected in actual
    if op == "not_contains":
        return expected not in actual
    if op == "contains_any":
        return bool(actual & expected)
    if op == "contains_all":
        return bool(expected <= actual)
    return not actual & expected  # contains_none


def _time_holds(actual: time, op: str, expected: Any) -> bool:
    if op == "before":
        return actual < expected
    if op == "after":
        return actual >= expected
    start, end = expected
    if start <= end:
        return start <= actual < end
    return actual >= start or actual < end  # a window across midnight, e.g. 22:00-06:00


def _text_holds(actual: str, op: str, expected: Any) -> bool:
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op == "starts_with":
        return actual.startswith(expected)
    return (actual == expected) if op == "eq" else (actual != expected)
