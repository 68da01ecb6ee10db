"""Customers' personal data in API answers: shown to callers holding `pii:read`, masked for
everyone else (support and readonly keys by default), and every unmasked read logged.

The log line (`pii.read`, logger `conveyor.pii`) says who read whose data and when: the key, its
role, what was read and the ids of the orders it belonged to. It names orders, never the person,
so the access log itself holds no personal data. Ship these lines to wherever audit logs are
kept (docs/operations.md, "Personal data")."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import structlog

from conveyor.auth.roles import PII_READ
from conveyor.shared import pii

access_log = structlog.get_logger("conveyor.pii")


class Reader(Protocol):
    """Who reads: an API key (`auth.service.Principal`) or a dashboard user (`web.session.Viewer`)."""

    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str: ...
    def may(self, permission: str) -> bool: ...


def may_read(who: Reader) -> bool:
    return who.may(PII_READ)


def log_read(who: Reader, what: str, order_ids: Iterable[str]) -> None:
    ids = sorted({i for i in order_ids if i})
    if ids:
        access_log.info("pii.read", actor=who.actor, role=who.role, what=what, order_ids=ids)


def order_view(who: Reader, what: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """What to do with a rendered order before it leaves: log the read, or mask it."""
    if may_read(who):
        def shown(body: dict[str, Any]) -> dict[str, Any]:
            log_read(who, what, [body.get("id", "")])
            return body
        return shown
    return pii.mask_order


def orders_view(who: Reader, what: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list of rendered orders: one log line for the whole page, or every order masked."""
    if may_read(who):
        log_read(who, what, [b.get("id", "") for b in bodies])
        return bodies
    return [pii.mask_order(b) for b in bodies]


def document_view(who: Reader, what: str, order_ids: Iterable[str], doc: Any) -> Any:
    """Any other document holding personal data (timeline data, a customer lookup): logged or masked."""
    if may_read(who):
        log_read(who, what, order_ids)
        return doc
    return pii.scrub(doc, pii.MASK)


def raw_body_view(who: Reader, what: str, order_id: str | None, body: str) -> str:
    """A stored payload body as text: logged, or masked (JSON scrubbed field by field; any other
    format — CSV rows, XML — can't be masked reliably and is withheld)."""
    if may_read(who):
        log_read(who, what, [order_id or ""])
        return body
    try:
        return json.dumps(pii.scrub(json.loads(body), pii.MASK))
    except ValueError:
        return f"[withheld: {len(body)} characters of personal data need pii:read]"
