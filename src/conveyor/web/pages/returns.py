"""Returns: the list (filtered by status), one return with its lines, and its actions by role —
request one from an order's shipped lines and approve / reject it (`returns:write`), receive and
grade it (`returns:receive`: stock moves, then the money is resolved). Each action is one
`returns.handlers` call, as the API's."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.bootstrap import Container
from conveyor.inventory.locations import list_locations
from conveyor.returns import handlers, service
from conveyor.returns.api import return_out
from conveyor.returns.grading import Grade
from conveyor.returns.lifecycle import ReturnStatus, allowed_events
from conveyor.returns.policy import ReturnReason
from conveyor.returns.service import Grading, ReturnItem
from conveyor.shared.errors import DomainError, ValidationFailed
from conveyor.shared.handlers import Replayed
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
REASONS = {r.value for r in ReturnReason}


def list_page(c: Container, status: str | None, cursor: str | None) -> dict[str, Any]:
    with c.reader() as uow:
        found = service.list_returns(uow, limit=PAGE_SIZE, cursor=cursor, status=status)
        return {"returns": [return_out(r) for r in found.items], "next_cursor": found.next_cursor}


@router.get("/returns", response_class=HTMLResponse)
async def returns(request: Request, who: Viewer = Depends(allowed("returns:read"))) -> HTMLResponse:
    status = request.query_params.get("status", "").strip()
    if status and status not in {s.value for s in ReturnStatus}:
        raise ValidationFailed(f"status: one of {', '.join(s.value for s in ReturnStatus)}", field="status")
    found = await run_in_threadpool(list_page, container_of(request), status or None,
                                    request.query_params.get("cursor") or None)
    return page(request, who, "returns.html", status=status, statuses=[s.value for s in ReturnStatus],
                query=urlencode({"status": status} if status else {}), **found)


def detail(c: Container, return_id: str) -> dict[str, Any]:
    with c.reader() as uow:
        ret = service.get_return(uow, return_id)
        return {"ret": return_out(ret), "can": {e.value for e in allowed_events(ReturnStatus(ret.status))},
                "locations": list_locations(uow), "grades": [g.value for g in Grade]}


@router.get("/returns/{return_id}", response_class=HTMLResponse)
async def one_return(return_id: str, request: Request,
                     who: Viewer = Depends(allowed("returns:read"))) -> HTMLResponse:
    found = await run_in_threadpool(detail, container_of(request), return_id)
    return page(request, who, "return.html", **found)


async def _act(request: Request, return_id: str, work: Any, done: str) -> Response:
    """Run one action (a handler call) and come back to the return, with what happened."""
    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        return redirect(request, f"/returns/{return_id}", exc.detail, "error")
    return redirect(request, f"/returns/{return_id}", done)


def _count(value: str, name: str) -> int:
    try:
        count = int(value or "0")
    except ValueError:
        raise ValidationFailed(f"{name}: {value!r} is not a whole number", field=name) from None
    if not 0 <= count <= 1_000_000:
        raise ValidationFailed(f"{name}: between 0 and 1000000", field=name)
    return count


@router.post("/orders/{order_id}/returns")
async def request_return(order_id: str, request: Request, p: Posted = Depends(posted("returns:write"))) -> Response:
    """Open a return for some shipped units (fields `line:<order line id>` = units), one reason for all."""
    who, form = p
    reason = form.get("reason", "")
    note = form.get("note", "").strip()[:2000]
    if reason not in REASONS:
        return redirect(request, f"/orders/{order_id}", "Choose a reason for the return.", "error")
    try:
        items = [ReturnItem(key.removeprefix("line:"), count, reason, note=note)
                 for key, value in form.items() if key.startswith("line:")
                 and (count := _count(value, key)) > 0]
    except DomainError as exc:
        return redirect(request, f"/orders/{order_id}", exc.detail, "error")
    if not items:
        return redirect(request, f"/orders/{order_id}", "Nothing to return: enter a quantity.", "error")
    c = container_of(request)
    try:
        ret = await run_in_threadpool(lambda: handlers.request_return(c, order_id, items, actor=who.actor))
    except DomainError as exc:
        problems = "; ".join(p.get("message", p.get("code", "")) for p in exc.extra.get("problems", []))
        return redirect(request, f"/orders/{order_id}", f"{exc.detail}{': ' + problems if problems else ''}",
                        "error")
    if isinstance(ret, Replayed):  # a replay: only with an idempotency record, which the dashboard never sends
        return redirect(request, f"/orders/{order_id}", "Return requested.")
    return redirect(request, f"/returns/{ret.id}", f"Return {ret.number} requested.")


@router.post("/returns/{return_id}/approve")
async def approve(return_id: str, request: Request, p: Posted = Depends(posted("returns:write"))) -> Response:
    who, _ = p
    c = container_of(request)
    return await _act(request, return_id, lambda: handlers.approve_return(c, return_id, who.actor),
                      "Return approved.")


@router.post("/returns/{return_id}/reject")
async def reject(return_id: str, request: Request, p: Posted = Depends(posted("returns:write"))) -> Response:
    who, form = p
    reason = form.get("reason", "").strip()[:500]
    c = container_of(request)
    return await _act(request, return_id, lambda: handlers.reject_return(c, return_id, reason, who.actor),
                      "Return rejected.")


@router.post("/returns/{return_id}/receive")
async def receive(return_id: str, request: Request, p: Posted = Depends(posted("returns:receive"))) -> Response:
    """Every approved unit arrived at the location chosen (what is missing is graded `missing`)."""
    who, form = p
    location = form.get("location", "")[:100]
    c = container_of(request)
    return await _act(request, return_id, lambda: handlers.receive_return(c, return_id, location, who.actor),
                      "Return received.")


@router.post("/returns/{return_id}/grade")
async def grade(return_id: str, request: Request, p: Posted = Depends(posted("returns:receive"))) -> Response:
    """Grade the units (fields `grade:<return line id>:<grade>` = units); stock moves and the money
    is resolved in the handler."""
    who, form = p
    try:
        grades = [Grading(line_id, name, count) for key, value in form.items() if key.startswith("grade:")
                  for line_id, _, name in [key.removeprefix("grade:").rpartition(":")]
                  if (count := _count(value, key)) > 0]
    except DomainError as exc:
        return redirect(request, f"/returns/{return_id}", exc.detail, "error")
    c = container_of(request)
    return await _act(request, return_id, lambda: handlers.grade_return(c, return_id, grades, who.actor),
                      "Return graded.")
