"""Structured logs: one JSON object per line, with the request id, never local variables, and with
secrets and personal data taken out before anything is written.

structlog's default console renderer prints rich tracebacks *with every local variable* — a
database URL with its password, the secret key, bearer tokens, customers' addresses — and takes
seconds to do it for one error. `configure` replaces it: exceptions become a compact list of frames
(file, line, function) without locals, and every string in an event passes through `Redactor`.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer

REDACTED = "[redacted]"
# Keys whose values are secrets (dropped whole) or personal data (masked), wherever they appear.
SECRET_KEYS = frozenset({"password", "secret", "secret_key", "token", "authorization", "access_token",
                         "api_key", "webhook_secret", "feed_secret", "cookie"})
PERSONAL_KEYS = frozenset({"email", "customer_email", "phone", "customer_phone", "customer_name", "name",
                           "billing_address", "shipping_address", "address", "line1", "line2"})
_PATTERNS = [
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s]+)(@)"), r"\1" + REDACTED + r"\3"),
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+"), r"\1" + REDACTED),
    (re.compile(r"\bcvk_[A-Za-z0-9_\-]{6,}"), "cvk_" + REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{6,}"), "whsec_" + REDACTED),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
]


class Redactor:
    """Takes secrets and personal data out of a log event (a structlog processor)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # A secret is also hidden when only a long-enough piece of it shows (a wrapped line, a slice).
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
            elif len(secret) >= 24 and secret[:16] in value:
                value = value.replace(secret[:16], REDACTED)
        return value

    def value(self, key: str, value: Any) -> Any:
        lowered = key.lower()
        if lowered == "exception":  # a traceback's frames: `name` is a function there, not a person
            return self.texts(value)
        if lowered in SECRET_KEYS:
            return REDACTED
        if lowered in PERSONAL_KEYS and value:
            return "[personal data]"
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(key, v) for v in value]
        return value

    def texts(self, value: Any) -> Any:
        """Only the text patterns and known secrets, through any nesting."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.texts(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.texts(v) for v in value]
        return value

    def __call__(self, _logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        return {k: self.value(k, v) for k, v in event.items()}


def configure(secrets: Iterable[str] = (), level: str = "info", json: bool = True, stream: Any = None) -> None:
    """Set up structlog for the process (API workers, the outbox worker, the CLI)."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False, max_frames=12)),
            Redactor(secrets),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        # Not cached: reconfiguring (a test, a new stream) takes effect for loggers made at import time.
        cache_logger_on_first_use=False,
    )


def secrets_of(settings: Any) -> list[str]:
    """The settings' values that must never be logged: the secret key, the database password."""
    from sqlalchemy.engine import make_url

    found = [settings.secret_key]
    try:
        password = make_url(settings.database_url).password
    except Exception:  # noqa: BLE001 - an unparseable URL has no password to hide
        password = None
    if password:
        found.append(str(password))
    # automation: the SMTP relay's password
    if getattr(settings, "smtp_password", ""):
        found.append(settings.smtp_password)
    return found
