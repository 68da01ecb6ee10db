"""The stored rule set: create, change, delete and list rules (documents validated by
`automation.rules`), and the parsed, enabled rules the lifecycle points run, read through the
container's cache (invalidated when a change commits; other processes see it within the
cache's time-to-live). Service functions: they never commit (automation/handlers.py does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from conveyor.automation.model import AutomationRule
from conveyor.automation.rules import Rule, parse_rule
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import Conflict, NotFound
from conveyor.shared.uow import UnitOfWork

CACHE = "automation_rules"


@dataclass(frozen=True, slots=True)
class StoredRule:
    id: str
    name: str
    position: int
    enabled: bool
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    updated_by: str


def _stored(row: AutomationRule) -> StoredRule:
    return StoredRule(row.id, row.name, row.position, row.enabled, dict(row.document), row.created_at,
                      row.updated_at, row.updated_by)


def _forget(uow: UnitOfWork) -> None:
    uow.after_commit(uow.caches.named(CACHE).invalidate)


def list_rules(uow: UnitOfWork) -> list[StoredRule]:
    rows = uow.session.scalars(select(AutomationRule).order_by(AutomationRule.position, AutomationRule.id))
    return [_stored(r) for r in rows]


def _row(uow: UnitOfWork, rule_id: str) -> AutomationRule:
    row = uow.session.get(AutomationRule, rule_id)
    if row is None:
        raise NotFound("rule", rule_id)
    return row


def get_rule(uow: UnitOfWork, rule_id: str) -> StoredRule:
    return _stored(_row(uow, rule_id))


def _check_name_free(uow: UnitOfWork, name: str, rule_id: str | None = None) -> None:
    clash = uow.session.scalar(select(AutomationRule.id).where(
        func.lower(AutomationRule.name) == name.casefold(), AutomationRule.id != (rule_id or "")))
    if clash is not None:
        raise Conflict(f"another rule is already called {name!r}", rule_id=clash)


def create_rule(uow: UnitOfWork, document: Any, actor: str, position: int | None = None) -> StoredRule:
    """Validate and store a rule; it runs after the existing ones unless `position` says where."""
    rule = parse_rule(document)
    _check_name_free(uow, rule.name)
    last = uow.session.scalar(select(func.max(AutomationRule.position)))
    now = utcnow()
    row = AutomationRule(id=ids.new_id("rule"), name=rule.name, enabled=rule.enabled, document=document,
                         position=position if position is not None else (last or 0) + 10, created_at=now,
                         updated_at=now, updated_by=actor)
    uow.session.add(row)
    uow.session.flush()
    _forget(uow)
    return _stored(row)


def update_rule(uow: UnitOfWork, rule_id: str, document: Any, actor: str, position: int | None = None) -> StoredRule:
    row = _row(uow, rule_id)
    rule = parse_rule(document)
    _check_name_free(uow, rule.name, rule_id)
    row.name, row.enabled, row.document = rule.name, rule.enabled, document
    if position is not None:
        row.position = position
    row.updated_at, row.updated_by = utcnow(), actor
    _forget(uow)
    return _stored(row)


def delete_rule(uow: UnitOfWork, rule_id: str) -> None:
    uow.session.execute(table_of(AutomationRule).delete().where(AutomationRule.id == _row(uow, rule_id).id))
    _forget(uow)


def active_rules(uow: UnitOfWork) -> tuple[Rule, ...]:
    """The enabled rules in run order, parsed (cached; an empty rule set costs one cache look-up)."""
    def load() -> tuple[Rule, ...]:
        rows = uow.session.scalars(select(AutomationRule).where(AutomationRule.enabled.is_(True))
                                   .order_by(AutomationRule.position, AutomationRule.id))
        return tuple(parse_rule(row.document) for row in rows)

    return uow.caches.named(CACHE).get("enabled", load) or ()


def rules_for(uow: UnitOfWork, trigger: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in active_rules(uow) if trigger in rule.triggers)
