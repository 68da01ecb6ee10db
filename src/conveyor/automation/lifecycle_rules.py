"""Running the rule set at an order's lifecycle points and carrying out what hits.

- `placed` (inside `orders.handlers.place_in`, before placement): `shape_command` evaluates the
  `placed` rules against the incoming `PlaceOrder` and writes their choices into it (hold
  reason, tags, the location to fulfil from, the routing strategy, priority, preferred carrier
  service), so placement itself honours them; `record_placed` then puts each hit on the new
  order's timeline and does what needs the order to exist (notes, staff notices).
- later points (`paid`, `allocated`, `shipped`, `delivered`, `cancelled`, `return_requested`,
  ...; run by the worker when it consumes the matching event): `run_at` evaluates against the
  stored order and carries the actions out through the orders service, in the worker's
  transaction. Routing choices can't move stock already allocated, so after placement they
  are recorded as skipped.
Every hit is a `rule.matched` timeline event naming the rule, its actions and what became of
each. Service functions: they never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from conveyor.automation import alerts
from conveyor.automation.actions import Action
from conveyor.automation.order_facts import FactsSettings, facts_for_command, facts_for_order, fields_used
from conveyor.automation.risk import RiskAssessment
from conveyor.automation.rules import Rule, RuleHit, evaluate
from conveyor.automation.service import rules_for
from conveyor.orders import service as orders
from conveyor.orders import timeline
from conveyor.orders.commands import PlaceOrder
from conveyor.orders.lifecycle import HOLDABLE
from conveyor.orders.timeline import EventType
from conveyor.shared.uow import UnitOfWork

ACTOR = "automation"
REVIEW_PREFIX = "review: "


@dataclass(slots=True)
class PlacedHits:
    hits: list[RuleHit]
    applied: list[list[str]]  # per hit, per action: what became of it
    risk: RiskAssessment | None = None


def shape_command(uow: UnitOfWork, cmd: PlaceOrder, now: datetime, settings: FactsSettings,
                  rules: tuple[Rule, ...] | None = None) -> tuple[PlaceOrder, PlacedHits | None]:
    """Apply the `placed` rules to an order about to be placed: the command to place (a copy
    with the rules' choices in it; the caller's is left alone, so a retried transaction starts
    from the original) and the hits (None when no rule hits). Pass `rules` read outside the
    write transaction (`placed_rules`) so a cold cache does not start it early."""
    rules = rules_for(uow, "placed") if rules is None else rules
    if not rules:
        return cmd, None
    facts, risk = facts_for_command(uow, cmd, now, settings, fields_used(rules))
    hits = evaluate(rules, "placed", facts)
    if not hits:
        return cmd, None
    shaped = replace(cmd, tags=list(cmd.tags))
    return shaped, PlacedHits(hits, [[_shape(shaped, action) for action in hit.actions] for hit in hits], risk)


def placed_rules(reader: Callable[[], AbstractContextManager[UnitOfWork]]) -> tuple[Rule, ...]:
    """The `placed` rules, read through a read-only unit of work (from the cache, usually)."""
    with reader() as uow:
        return rules_for(uow, "placed")


def _shape(cmd: PlaceOrder, action: Action) -> str:
    p = action.params
    if action.type in ("hold", "require_review"):
        if cmd.hold_reason:
            return f"kept the earlier hold ({cmd.hold_reason})"
        cmd.hold_reason = (REVIEW_PREFIX if action.type == "require_review" else "") + p["reason"]
        return "held"
    if action.type == "tag":
        if p["tag"] not in cmd.tags:
            cmd.tags.append(p["tag"])
        return "tagged"
    if action.type == "set_priority":
        cmd.priority = p["priority"]
        return "priority set"
    if action.type == "route_strategy":
        cmd.routing_strategy = p["strategy"]
        return "routing strategy set"
    if action.type == "route_location":
        if cmd.fulfil_from and cmd.fulfil_from != p["location"]:
            return f"kept the location the order names ({cmd.fulfil_from})"
        cmd.fulfil_from = p["location"]
        return "fulfilment location set"
    if action.type == "carrier_service":
        cmd.preferred_carrier, cmd.preferred_service = p["carrier"], p["service"]
        return "carrier service set"
    return "after placement"  # add_note, notify_staff: need the order (record_placed)


def record_placed(uow: UnitOfWork, order_id: str, placed: PlacedHits, now: datetime) -> None:
    """Put each hit on the placed order's timeline and do the actions that need the order."""
    for hit, applied in zip(placed.hits, placed.applied, strict=True):
        done = [_after_placement(uow, order_id, hit.rule, action, now) if result == "after placement" else result
                for action, result in zip(hit.actions, applied, strict=True)]
        _record(uow, order_id, hit, "placed", done, placed.risk)


def _after_placement(uow: UnitOfWork, order_id: str, rule: str, action: Action, now: datetime) -> str:
    if action.type == "add_note":
        timeline.append(uow, order_id, EventType.NOTE_ADDED, {"text": action.params["note"], "rule": rule}, ACTOR)
        return "note added"
    return _notify(uow, order_id, rule, action, now)


def _notify(uow: UnitOfWork, order_id: str, rule: str, action: Action, now: datetime) -> str:
    p = action.params
    alerts.raise_alert(uow, f"Rule {rule!r} matched order {order_id}", p["message"], reference=order_id,
                       via="webhook" if p["channel"] == "webhook" else "email", to=p["to"], now=now)
    return f"staff notified by {p['channel']}"


def _record(uow: UnitOfWork, order_id: str, hit: RuleHit, trigger: str, applied: list[str],
            risk: RiskAssessment | None) -> None:
    data: dict[str, Any] = {"rule": hit.rule, "trigger": trigger,
                            "actions": [dict(a.as_json(), result=r) for a, r in zip(hit.actions, applied, strict=True)]}
    if risk is not None:
        data["risk"] = {"score": risk.score, "reasons": [{"code": r.code, "points": r.points, "detail": r.detail}
                                                         for r in risk.reasons]}
    timeline.append(uow, order_id, EventType.RULE_MATCHED, data, ACTOR)


def run_at(uow: UnitOfWork, order_id: str, trigger: str, channel_code: str, settings: FactsSettings,
           now: datetime) -> list[RuleHit]:
    """Evaluate the rules of a later lifecycle point against the stored order and carry out
    what hits (in the caller's transaction)."""
    rules = rules_for(uow, trigger)
    if not rules:
        return []
    order = orders.get_order(uow, order_id, for_update=True)
    facts, risk = facts_for_order(uow, order, channel_code, settings, fields_used(rules))
    hits = evaluate(rules, trigger, facts)
    for hit in hits:
        applied = [_apply(uow, order_id, hit.rule, action, now) for action in hit.actions]
        _record(uow, order_id, hit, trigger, applied, risk)
    return hits


def _apply(uow: UnitOfWork, order_id: str, rule: str, action: Action, now: datetime) -> str:
    p = action.params
    if action.type in ("hold", "require_review"):
        order = orders.get_order(uow, order_id)
        if order.status not in HOLDABLE:
            return f"skipped: a {order.status} order cannot be held"
        orders.hold_order(uow, order_id, (REVIEW_PREFIX if action.type == "require_review" else "") + p["reason"],
                          ACTOR)
        return "held"
    if action.type == "tag":
        orders.change_tags(uow, order_id, [p["tag"]], [], ACTOR)
        return "tagged"
    if action.type == "set_priority":
        orders.set_preferences(uow, order_id, ACTOR, priority=p["priority"])
        return "priority set"
    if action.type == "carrier_service":
        orders.set_preferences(uow, order_id, ACTOR, carrier=p["carrier"], service=p["service"])
        return "carrier service set"
    if action.type in ("route_strategy", "route_location"):
        return "skipped: routing choices apply when the order is placed"
    if action.type == "add_note":
        orders.add_note(uow, order_id, p["note"], ACTOR)
        return "note added"
    return _notify(uow, order_id, rule, action, now)
