"""Automation rules as data: CRUD (documents validated with every mistake's path) and a dry run
against past orders. Reading is a staff read (`automation:read`), changing is `automation:write`
(admin, ops)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Strict
from conveyor.auth.service import Principal
from conveyor.automation import handlers, service
from conveyor.automation.rules import DryRunReport
from conveyor.bootstrap import Container
from conveyor.shared.clock import as_utc

router = APIRouter(prefix="/automation", tags=["automation"])
RULE_EXAMPLE = {"name": "Hold big first orders", "triggers": ["placed"],
                "condition": {"all": [{"field": "is_first_order", "op": "eq", "value": True},
                                      {"field": "total", "op": "gte",
                                       "value": {"amount": "500.00", "currency": "EUR"}}]},
                "actions": [{"type": "hold", "reason": "first order over 500 EUR"}]}
RuleDocument = Annotated[dict[str, Any], Body(examples=[RULE_EXAMPLE], description="A rule (docs/automation.md)")]


class RuleOut(BaseModel):
    id: str
    name: str
    position: int
    enabled: bool
    rule: dict[str, Any]
    updated_at: datetime
    updated_by: str


class DryRunIn(Strict):
    rule: dict[str, Any] = Field(description="A rule document; its triggers and `enabled` are ignored")
    since: datetime | None = Field(None, description="Only orders placed since then")
    limit: Annotated[int, Field(ge=1, le=5000)] = 500


def render_rule(stored: service.StoredRule) -> dict[str, Any]:
    return {"id": stored.id, "name": stored.name, "position": stored.position, "enabled": stored.enabled,
            "rule": stored.document, "updated_at": as_utc(stored.updated_at).isoformat(),
            "updated_by": stored.updated_by}


@router.get("/rules", response_model=list[RuleOut])
def list_rules(who: Principal = Depends(require("automation:read")),
               c: Container = Depends(container)) -> list[dict[str, Any]]:
    """The rule set in run order."""
    with c.reader() as uow:
        return [render_rule(r) for r in service.list_rules(uow)]


@router.post("/rules", response_model=RuleOut, status_code=201)
async def create_rule(document: RuleDocument, request: Request, who: Principal = Depends(require("automation:write")),
                      c: Container = Depends(container),
                      position: Annotated[int | None, Query(ge=0, le=1_000_000)] = None) -> JSONResponse:
    """Add a rule (after the others unless `position` says where). A mistake is a 422 whose
    `issues` name each path: `[{"path": "condition.all[1].op", "message": ...}]`."""
    idem = await idempotency_for(request, who, render_rule)
    result = await run_in_threadpool(lambda: handlers.create_rule(c, document, who.actor, position, idem))
    return respond(result, render_rule, 201, idem)


@router.get("/rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: str, who: Principal = Depends(require("automation:read")),
             c: Container = Depends(container)) -> dict[str, Any]:
    with c.reader() as uow:
        return render_rule(service.get_rule(uow, rule_id))


@router.put("/rules/{rule_id}", response_model=RuleOut)
def replace_rule(rule_id: str, document: RuleDocument, who: Principal = Depends(require("automation:write")),
                 c: Container = Depends(container),
                 position: Annotated[int | None, Query(ge=0, le=1_000_000)] = None) -> dict[str, Any]:
    return render_rule(handlers.update_rule(c, rule_id, document, who.actor, position))


@router.delete("/rules/{rule_id}")
def delete_rule(rule_id: str, who: Principal = Depends(require("automation:write")),
                c: Container = Depends(container)) -> dict[str, str]:
    handlers.delete_rule(c, rule_id)
    return {"id": rule_id, "status": "deleted"}


@router.post("/rules/dry-run")
def dry_run(body: DryRunIn, who: Principal = Depends(require("automation:read")),
            c: Container = Depends(container)) -> dict[str, Any]:
    """Which past orders (newest first) the rule's condition would have hit, and with what
    actions; nothing is changed."""
    report: DryRunReport = handlers.dry_run(c, body.rule, body.since, body.limit)
    return {"rule": report.rule, "evaluated": report.evaluated, "hits": len(report.hits),
            "orders": [{"order_id": h.order_id, "actions": [a.as_json() for a in h.actions]} for h in report.hits]}
