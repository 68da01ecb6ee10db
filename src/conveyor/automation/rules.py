"""Automation rules as data: parse and validate rule documents (JSON edited through the API),
evaluate them at an order's lifecycle points, and dry-run one against past orders.

A rule document:
    {"name": "Hold big first orders",          unique, shown on the order's timeline
     "enabled": true,                          optional, default true
     "triggers": ["placed", "paid"],           lifecycle points it runs at (TRIGGERS)
     "condition": {"all": [...]},              see conveyor.automation.conditions
     "actions": [{"type": "hold", "reason": "first order over 500"}],
     "stop": false,                            optional: true = later rules are skipped after a hit
     "description": "..."}                     optional, for people
Rules run in the order given (the stored list order); every hit yields a `RuleHit` that the
handler records on the timeline with the rule's name and then carries out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from conveyor.automation.actions import Action, parse_action
from conveyor.automation.conditions import Condition, Invalid, Issue, holds, parse_condition
from conveyor.automation.facts import OrderFacts
from conveyor.shared.errors import ErrorCode, ValidationFailed

TRIGGERS = ("placed", "paid", "allocated", "shipped", "delivered", "cancelled", "return_requested",
            "return_received", "refunded")
_RULE_KEYS = {"name", "enabled", "triggers", "condition", "actions", "stop", "description"}
MAX_NAME = 120


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    triggers: frozenset[str]
    condition: Condition
    actions: tuple[Action, ...]
    enabled: bool = True
    stop: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str  # the rule's name, as the timeline shows it
    actions: tuple[Action, ...]

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "actions": [action.as_json() for action in self.actions]}


@dataclass(frozen=True, slots=True)
class DryRunHit:
    order_id: str
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class DryRunReport:
    rule: str
    evaluated: int
    hits: tuple[DryRunHit, ...]


def parse_rule(doc: Any) -> Rule:
    """A validated Rule, or `ValidationFailed` whose `issues` list every mistake with its path
    (e.g. `{"path": "condition.all[1].op", "message": "unknown op 'gtee' ..."}`)."""
    issues: list[Issue] = []
    rule = _parse(doc, issues)
    if issues or rule is None:
        raise _failed(issues)
    return rule


def parse_rules(docs: Any) -> list[Rule]:
    """Parse a whole rule set (a JSON list); names must be unique."""
    if not isinstance(docs, list):
        raise _failed([Issue("$", "a rule set is a list of rules")])
    issues: list[Issue] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, doc in enumerate(docs):
        found: list[Issue] = []
        rule = _parse(doc, found)
        issues += [Issue(f"[{index}].{issue.path}", issue.message) for issue in found]
        if rule is not None and not found:
            if rule.name.casefold() in seen:
                issues.append(Issue(f"[{index}].name", f"another rule is already called {rule.name!r}"))
            seen.add(rule.name.casefold())
            rules.append(rule)
    if issues:
        raise _failed(issues)
    return rules


def evaluate(rules: Sequence[Rule], trigger: str, facts: OrderFacts) -> list[RuleHit]:
    """The rules that hit this order at this lifecycle point, in rule order."""
    if trigger not in TRIGGERS:
        raise ValidationFailed(f"unknown trigger {trigger!r}; known: {', '.join(TRIGGERS)}")
    hits: list[RuleHit] = []
    for rule in rules:
        if not rule.enabled or trigger not in rule.triggers:
            continue
        if holds(rule.condition, facts):
            hits.append(RuleHit(rule.name, rule.actions))
            if rule.stop:
                break
    return hits


def dry_run(rule: Rule, orders: Iterable[tuple[str, OrderFacts]]) -> DryRunReport:
    """Which of these (past) orders the rule's condition would have hit, whatever its triggers
    and even when it is disabled: for trying a rule out before switching it on."""
    evaluated = 0
    hits: list[DryRunHit] = []
    for order_id, facts in orders:
        evaluated += 1
        if holds(rule.condition, facts):
            hits.append(DryRunHit(order_id, rule.actions))
    return DryRunReport(rule.name, evaluated, tuple(hits))


def _parse(doc: Any, issues: list[Issue]) -> Rule | None:
    if not isinstance(doc, dict):
        issues.append(Issue("$", "a rule is an object"))
        return None
    issues += [Issue(key, "unexpected key") for key in sorted(set(doc) - _RULE_KEYS)]
    name = _name(doc.get("name"), issues)
    triggers = _triggers(doc.get("triggers"), issues)
    condition = parse_condition(doc["condition"], "condition", issues) if "condition" in doc else None
    if "condition" not in doc:
        issues.append(Issue("condition", "missing"))
    actions = _actions(doc.get("actions"), issues)
    flags = {key: doc.get(key, default) for key, default in (("enabled", True), ("stop", False))}
    for key, value in flags.items():
        if not isinstance(value, bool):
            issues.append(Issue(key, f"expected true or false, got {value!r}"))
    description = doc.get("description", "")
    if not isinstance(description, str):
        issues.append(Issue("description", "expected a string"))
    if issues or condition is None:
        return None
    return Rule(name, triggers, condition, actions, flags["enabled"], flags["stop"], description)


def _name(value: Any, issues: list[Issue]) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        issues.append(Issue("name", f"a rule needs a name of 1 to {MAX_NAME} characters"))
        return ""
    return value.strip()


def _triggers(value: Any, issues: list[Issue]) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        issues.append(Issue("triggers", f"a non-empty list of: {', '.join(TRIGGERS)}"))
        return frozenset()
    for index, trigger in enumerate(value):
        if trigger not in TRIGGERS:
            issues.append(Issue(f"triggers[{index}]", f"unknown trigger {trigger!r}; known: {', '.join(TRIGGERS)}"))
    return frozenset(t for t in value if t in TRIGGERS)


def _actions(value: Any, issues: list[Issue]) -> tuple[Action, ...]:
    if not isinstance(value, list) or not value:
        issues.append(Issue("actions", "a non-empty list of actions"))
        return ()
    actions: list[Action] = []
    for index, doc in enumerate(value):
        try:
            actions.append(parse_action(doc, f"actions[{index}]"))
        except Invalid as bad:
            issues.append(bad.issue)
    return tuple(actions)


def _failed(issues: list[Issue]) -> ValidationFailed:
    first = issues[0] if issues else Issue("$", "invalid rule")
    summary = f"{first.path}: {first.message}" + (f" (and {len(issues) - 1} more)" if len(issues) > 1 else "")
    return ValidationFailed(f"invalid rule: {summary}", ErrorCode.INVALID_RULE,
                            issues=[{"path": i.path, "message": i.message} for i in issues])
