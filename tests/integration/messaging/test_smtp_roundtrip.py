"""Notification e-mails through a real SMTP conversation with aiosmtpd on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosmtplib
import pytest

from conveyor.messaging.email.render import render
from conveyor.messaging.smtp import SmtpSender, SmtpSettings, build_message, message_id_for, send_once
from tests.net import free_port
from tests.unit.messaging.conftest import TRACKING_URL, sample_context

from .conftest import PASSWORD, USER

NOW = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
SENDER = "Nordlicht Outdoor <orders@shop.example.com>"


def _shipped_mail(language: str, outbox_id: str = "msg_01JH8ZQ4"):
    email = render("order_shipped", language, sample_context())
    return build_message(email, to="Anna Schmidt <anna@example.at>", sender=SENDER, outbox_id=outbox_id, now=NOW)


def _settings(port: int, **changes) -> SmtpSettings:
    base = {"host": "127.0.0.1", "port": port, "security": "none", "username": USER, "password": PASSWORD,
            "sender": SENDER, "timeout": 10.0}
    return SmtpSettings(**(base | changes))


@pytest.mark.parametrize(("language", "subject"), [
    ("de-AT", "Ihre Bestellung NL-1001 ist unterwegs"),
    ("fr", "Votre commande NL-1001 est en route"),
    ("es", "Tu pedido NL-1001 ya está en camino"),
    ("en", "Your order NL-1001 is on its way"),
])
def test_a_shipped_mail_arrives_in_the_orders_language_with_the_tracking_link(smtp_server, language, subject):
    inbox, port = smtp_server("plain")
    result = SmtpSender(_settings(port)).send(_shipped_mail(language))
    assert result.sent and result.server_reply.startswith("OK")
    [received] = inbox.messages
    assert received["Subject"] == subject
    assert received["Message-ID"] == "<msg_01JH8ZQ4@shop.example.com>" == result.message_id
    assert received["Content-Language"] == language.split("-")[0]
    assert inbox.recipients == [["anna@example.at"]] and inbox.logins == [USER]
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert TRACKING_URL in text
    assert f'href="{TRACKING_URL.replace("&", "&amp;")}"' in html


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_encrypted_relays_with_a_private_ca(smtp_server, tls_files, mode):
    inbox, port = smtp_server(mode, tls_files)
    SmtpSender(_settings(port, security=mode, ca_file=tls_files.ca_file)).send(_shipped_mail("de"))
    assert [m["Subject"] for m in inbox.messages] == ["Ihre Bestellung NL-1001 ist unterwegs"]


def test_starttls_never_falls_back_to_plain_text(smtp_server):
    inbox, port = smtp_server("plain")  # this server offers no STARTTLS
    with pytest.raises(aiosmtplib.SMTPException):
        SmtpSender(_settings(port, security="starttls")).send(_shipped_mail("en"))
    assert inbox.messages == []


def test_wrong_credentials_are_an_error_and_nothing_is_sent(smtp_server):
    inbox, port = smtp_server("plain")
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        SmtpSender(_settings(port, password="wrong")).send(_shipped_mail("en"))
    assert inbox.messages == []


class MemoryLedger:
    def __init__(self) -> None:
        self.sent: set[str] = set()

    def already_sent(self, message_id: str) -> bool:
        return message_id in self.sent

    def record_sent(self, message_id: str) -> None:
        self.sent.add(message_id)


def test_a_worker_retry_sends_the_event_once(smtp_server):
    inbox, port = smtp_server("plain")
    sender, ledger = SmtpSender(_settings(port)), MemoryLedger()
    first = send_once(sender.send, _shipped_mail("en", "msg_A"), ledger)
    retry = send_once(sender.send, _shipped_mail("en", "msg_A"), ledger)  # rebuilt from the same outbox row
    other = send_once(sender.send, _shipped_mail("en", "msg_B"), ledger)
    assert (first.sent, retry.sent, other.sent) == (True, False, True)
    expected = [message_id_for("msg_A", SENDER), message_id_for("msg_B", SENDER)]
    assert [m["Message-ID"] for m in inbox.messages] == expected


def test_an_unreachable_server_raises_for_the_worker_to_retry():
    with pytest.raises((OSError, aiosmtplib.SMTPException)):
        SmtpSender(_settings(free_port(), timeout=2.0)).send(_shipped_mail("en"))
