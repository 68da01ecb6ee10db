"""Customer e-mails end to end: placing and shipping an order puts e-mails in the customer's
language (with the tracking link) into a real SMTP server (aiosmtpd on loopback); the worker
running again, or retrying a message that already went out, sends nothing twice; each e-mail is
on the order's timeline."""

from __future__ import annotations

from sqlalchemy import select

from conveyor.messaging.handlers import replay_messages
from conveyor.messaging.model import OutboxMessage, SentEmail
from conveyor.orders.commands import Address
from conveyor.orders.handlers import cancel_order, place_order, ship_order
from conveyor.orders.service import order_timeline
from tests.helpers import order_cmd, seed_world
from tests.integration.messaging.conftest import PASSWORD, USER
from tests.integration.messaging.support import worker_for

TRACKING = "00340434161094042557"


def _mail_on(container, port: int) -> None:
    s = container.settings
    s.smtp_host, s.smtp_port, s.smtp_security = "127.0.0.1", port, "none"
    s.smtp_username, s.smtp_password = USER, PASSWORD
    s.smtp_sender, s.shop_name = "Nordlicht Outdoor <orders@shop.example.com>", "Nordlicht Outdoor"
    s.shop_time_zone = "Europe/Vienna"


def _place(container, locale: str, **extra):
    cmd = order_cmd({"SKU-A": 2}, external_id=f"NL-{locale}", customer_name="Anna Schmidt",
                    customer_email="anna@example.at", locale=locale,
                    shipping_address=Address(name="Anna Schmidt", line1="Mariahilfer Straße 1", city="Wien",
                                             postal_code="1060", country="AT"), **extra)
    return place_order(container, cmd, actor="test").order


def test_placing_and_shipping_send_emails_in_the_orders_language_once(container, smtp_server):
    inbox, port = smtp_server("plain")
    _mail_on(container, port)
    seed_world(container)
    worker = worker_for(container)
    order = _place(container, "de-AT")
    worker.drain()
    ship_order(container, order.id, location="WH1", carrier="dhl", tracking_number=TRACKING, actor="test")
    worker.drain()

    assert [str(m["Subject"]) for m in inbox.messages] == [
        "Wir haben Ihre Bestellung NL-de-AT erhalten", "Ihre Bestellung NL-de-AT ist unterwegs"]
    shipped = inbox.messages[1]
    text = shipped.get_body(("plain",)).get_content()
    html = shipped.get_body(("html",)).get_content()
    link = f"https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={TRACKING}"
    assert link in text and link.replace("&", "&amp;") in html and TRACKING in text
    assert shipped["Content-Language"] == "de" and inbox.recipients[1] == ["anna@example.at"]
    assert "Mariahilfer Straße 1" in text and "1060 WIEN" in text.upper()

    # The worker again, and a forced retry of both e-mails: nothing goes out twice.
    worker.drain()
    with container.reader() as uow:
        email_ids = list(uow.session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.topic == "notification.email")))
    replay_messages(container, email_ids)
    worker.drain()
    assert len(inbox.messages) == 2
    with container.reader() as uow:
        sent = uow.session.scalars(select(SentEmail).order_by(SentEmail.sent_at)).all()
        logged = [e.data for e in order_timeline(uow, order.id) if e.type == "notification.sent"]
    assert [s.kind for s in sent] == ["order_received", "order_shipped"]
    assert {m["Message-ID"] for m in inbox.messages} == {s.message_id for s in sent}
    assert [(d["kind"], d["language"], d["to"]) for d in logged] == [
        ("order_received", "de", "anna@example.at"), ("order_shipped", "de", "anna@example.at")]


def test_cancellation_mail_is_french_for_a_french_order_and_unknown_languages_fall_back_to_english(
        container, smtp_server):
    inbox, port = smtp_server("plain")
    _mail_on(container, port)
    seed_world(container, {"SKU-A": 10})
    worker = worker_for(container)
    french = _place(container, "fr-CA")
    brazilian = _place(container, "pt-BR")
    cancel_order(container, french.id, lines={"1": 1}, reason="customer asked", actor="test")  # one of two units
    worker.drain()
    partial = len(inbox.messages)
    cancel_order(container, french.id, reason="customer asked", actor="test")
    worker.drain()

    subjects = [str(m["Subject"]) for m in inbox.messages]
    assert partial == 2  # the two "received" mails; a partial cancellation tells the customer nothing
    assert subjects[-1] == "Votre commande NL-fr-CA a été annulée"
    assert "We've received your order NL-pt-BR" in subjects
    english = next(m for m in inbox.messages if "NL-pt-BR" in str(m["Subject"]))
    assert english["Content-Language"] == "en"
    assert brazilian.locale == "en"  # stored as the language it is written in (docs/decisions.md 33)


def test_without_an_smtp_host_no_email_is_planned(container):
    seed_world(container)
    _place(container, "de")
    worker_for(container).drain()
    with container.reader() as uow:
        planned = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notification.email")).all()
        pending = uow.session.scalars(select(OutboxMessage.topic).where(OutboxMessage.status != "done")).all()
    assert planned == [] and pending == []
