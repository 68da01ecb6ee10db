"""Purchase orders e-mailed to the supplier: sending a PO puts one e-mail with the PO's PDF
attached into a real SMTP server (aiosmtpd on loopback); the PDF is read back and names the PO and
its lines. A worker retry after a failure sends it once; a retry after a success, or the
`purchase_order.sent` event replayed, sends nothing more."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from conveyor.messaging.handlers import replay_messages
from conveyor.messaging.model import OutboxMessage, SentEmail
from conveyor.purchasing import handlers as buy
from conveyor.purchasing.purchase_orders import LineRequest
from conveyor.purchasing.suppliers import ItemData, SupplierData
from tests.helpers import seed_world
from tests.integration.messaging.conftest import PASSWORD, USER
from tests.integration.messaging.support import Clock, worker_for
from tests.net import free_port


def _mail_on(container, port: int) -> None:
    s = container.settings
    s.smtp_host, s.smtp_port, s.smtp_security = "127.0.0.1", port, "none"
    s.smtp_username, s.smtp_password = USER, PASSWORD
    s.smtp_sender, s.purchasing_email = "Nordlicht Outdoor <orders@shop.example.com>", "einkauf@shop.example.com"
    s.staff_alert_email = "ops@shop.example.com"


def _supplier(container, email: str) -> None:
    seed_world(container, {"SKU-A": 0})
    buy.create_supplier(container, SupplierData(code="ACME", name="Acme Supplies", email=email, currency="EUR",
                                                lead_time_days=5, contact_name="Jo Acme"))
    buy.set_supplier_item(container, "ACME", ItemData(sku="SKU-A", unit_cost_minor=450, supplier_sku="AC-1"))


def _ids(container, topic: str) -> list[str]:
    with container.reader() as uow:
        return list(uow.session.scalars(select(OutboxMessage.id).where(OutboxMessage.topic == topic)))


def test_a_sent_po_is_emailed_once_with_its_pdf(container, smtp_server):
    inbox, port = smtp_server("plain")
    _mail_on(container, free_port())  # nobody listens there: the first attempt fails
    _supplier(container, "orders@acme.example")
    po = buy.create_purchase_order(container, "ACME", "WH1", [LineRequest("SKU-A", 40)], actor="buyer", send=True)
    clock = Clock()
    worker_for(container, clock).drain()
    with container.reader() as uow:
        failed = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "notification.email")).one()
    assert inbox.messages == [] and failed.status == "pending" and failed.last_error

    container.settings.smtp_port = port
    clock.advance(hours=1)
    worker = worker_for(container, clock)
    worker.drain()
    assert len(inbox.messages) == 1 and inbox.recipients == [["orders@acme.example"]]
    mail = inbox.messages[0]
    assert str(mail["Subject"]) == f"Purchase order {po.number}"
    assert str(mail["Reply-To"]) == "einkauf@shop.example.com"
    assert "Hello Jo Acme" in mail.get_body(("plain",)).get_content()
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == f"{po.number}.pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment.get_content())).pages)
    assert po.number in text and "SKU-A" in text and "AC-1" in text and "40" in text

    # A retry after the success, and the event itself handled again: nothing more goes out.
    replay_messages(container, _ids(container, "notification.email"))
    replay_messages(container, _ids(container, "purchase_order.sent"))
    worker.drain()
    assert len(inbox.messages) == 1
    with container.reader() as uow:
        sent = uow.session.scalars(select(SentEmail)).all()
    assert [(s.kind, s.recipient, s.message_id) for s in sent] == [
        ("purchase_order", "orders@acme.example", str(mail["Message-ID"]))]


def test_a_supplier_without_an_address_raises_a_staff_alert(container, smtp_server):
    inbox, port = smtp_server("plain")
    _mail_on(container, port)
    _supplier(container, "")
    po = buy.create_purchase_order(container, "ACME", "WH1", [LineRequest("SKU-A", 10)], actor="buyer", send=True)
    worker_for(container).drain()
    assert inbox.recipients == [["ops@shop.example.com"]]
    assert po.number in str(inbox.messages[0]["Subject"]) + inbox.messages[0].get_body(("plain",)).get_content()
