"""The request being served, for everything written while serving it: the API sets the request id
(from a sane `X-Request-Id`, or a new one); timeline events and outbox messages carry it, and so
does every log line, so one id follows a request from the log to the order's history and out to
other systems. Context variables follow the request into worker threads."""

from __future__ import annotations

import re
from contextvars import ContextVar

from conveyor.shared import ids

_request_id: ContextVar[str | None] = ContextVar("conveyor_request_id", default=None)
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id() -> str | None:
    return _request_id.get()


def start_request(given: str | None) -> str:
    """Use the caller's id when it looks like one (so traces join up), else make one."""
    value = given if given and _SANE.match(given) else ids.new_id("request")
    _request_id.set(value)
    return value
