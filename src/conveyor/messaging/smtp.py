"""Sending notification e-mails over SMTP (aiosmtplib), from synchronous worker code.

Exactly one message per event: the worker may run a message again after a crash or a timeout
that hid a success, so
- the `Message-ID` is derived from the outbox message id (`<msg_…@shop-domain>`): a retry
  produces the very same message, which receiving systems recognise (Gmail and most mail stores
  drop a second copy with an identical Message-ID), and support staff can find it in logs;
- `send_once` consults a ledger of Message-IDs already accepted by the SMTP server and records
  each acceptance, so a retry after a success sends nothing. The ledger is passed in (the lead
  wires it to a table with a unique key); the only window left is a crash between the server's
  acceptance and the ledger write, which the identical Message-ID covers.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal, Protocol

import aiosmtplib

from conveyor.messaging.aio import run_sync
from conveyor.messaging.email.render import RenderedEmail
from conveyor.shared.errors import ValidationFailed

Security = Literal["none", "starttls", "tls"]
_ID_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send. `security`: "tls" = implicit TLS (port 465), "starttls" = upgrade
    a plain connection (port 587; refused if the server cannot), "none" = plain text (loopback
    relays and tests only). `ca_file` trusts a private CA (self-signed relay)."""

    host: str = "127.0.0.1"
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    password: str = ""
    sender: str = "Conveyor <no-reply@localhost>"
    timeout: float = 30.0
    ca_file: str = ""

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ValidationFailed(f"smtp security must be none, starttls or tls, not {self.security!r}")
        if not 0 < self.port < 65536:
            raise ValidationFailed(f"smtp port {self.port} is out of range")
        if self.timeout <= 0:
            raise ValidationFailed("smtp timeout must be positive")
        if "@" not in parseaddr(self.sender)[1]:
            raise ValidationFailed(f"smtp sender {self.sender!r} is not an e-mail address")
        if bool(self.username) != bool(self.password):
            raise ValidationFailed("smtp username and password go together")


def message_id_for(outbox_id: str, sender: str) -> str:
    """`<outbox id@sender's domain>`: the same for every attempt at the same outbox message."""
    if not _ID_SAFE.match(outbox_id):
        raise ValidationFailed(f"outbox id {outbox_id!r} cannot be part of a Message-ID")
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{outbox_id}@{domain}>"


def build_message(
    email: RenderedEmail, *, to: str, sender: str, outbox_id: str, now: datetime, reply_to: str = ""
) -> EmailMessage:
    """A multipart/alternative message (text first, then HTML, as RFC 2046 orders them)."""
    if now.tzinfo is None:
        raise ValidationFailed("the message date must be timezone-aware")
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = _one_address(to)
    if reply_to:
        message["Reply-To"] = _one_address(reply_to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id_for(outbox_id, sender)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    message["Content-Language"] = email.language  # after the content: set_content drops Content-* headers
    return message


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


def build_document_message(
    subject: str, text: str, attachments: list[Attachment], *, to: str, sender: str, message_key: str,
    now: datetime, reply_to: str = "",
) -> EmailMessage:
    """A plain-text message with documents attached (a purchase order to its supplier). The
    Message-ID comes from `message_key` (the document's id), so the document goes out once however
    often its e-mail is planned."""
    if now.tzinfo is None:
        raise ValidationFailed("the message date must be timezone-aware")
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = _one_address(to)
    if reply_to:
        message["Reply-To"] = _one_address(reply_to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id_for(message_key, sender)
    message.set_content(text)
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def _one_address(value: str) -> str:
    name, address = parseaddr(value)
    if "@" not in address or any(ch in value for ch in "\r\n"):
        raise ValidationFailed(f"{value!r} is not one e-mail address")
    return str(MailAddress(display_name=name, addr_spec=address))


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    sent: bool  # False: the ledger said it had already gone out
    server_reply: str = ""


class SentLedger(Protocol):
    def already_sent(self, message_id: str) -> bool: ...

    def record_sent(self, message_id: str) -> None: ...


class SmtpSender:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> SendResult:
        """Hand one message to the SMTP server; raises `aiosmtplib.SMTPException` or `OSError`
        (the worker records it and retries with backoff)."""
        return run_sync(lambda: self.send_async(message))

    async def send_async(self, message: EmailMessage) -> SendResult:
        s = self.settings
        _, reply = await aiosmtplib.send(
            message,
            hostname=s.host,
            port=s.port,
            username=s.username or None,
            password=s.password or None,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",  # explicit: never silently fall back to plain text
            tls_context=self._tls_context(),
            timeout=s.timeout,
        )
        return SendResult(str(message["Message-ID"]), True, reply)

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.settings.security == "none":
            return None
        return ssl.create_default_context(cafile=self.settings.ca_file or None)


def send_once(send: Callable[[EmailMessage], SendResult], message: EmailMessage, ledger: SentLedger) -> SendResult:
    """Send unless this Message-ID already went out; record it once the server accepted it."""
    message_id = str(message["Message-ID"])
    if ledger.already_sent(message_id):
        return SendResult(message_id, False)
    result = send(message)
    ledger.record_sent(message_id)
    return result
