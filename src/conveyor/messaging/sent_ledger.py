"""The ledger of e-mails the SMTP server accepted (`sent_emails`, keyed by Message-ID), as the
`SentLedger` that `messaging.smtp.send_once` consults: a worker retry of a message that already
went out sends nothing. Recording commits at once (on its own), right after the server's answer,
so the window for a second copy is only a crash between the two (docs/automation.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from conveyor.messaging.model import SentEmail
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.handlers import run
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork

if TYPE_CHECKING:
    from conveyor.bootstrap import Container


class SentEmails:
    """One e-mail's view of the ledger (what it records besides the Message-ID)."""

    def __init__(self, c: Container, outbox_id: str, kind: str, recipient: str, order_id: str | None) -> None:
        self.c, self.outbox_id, self.kind, self.recipient, self.order_id = c, outbox_id, kind, recipient, order_id
        # Written in the same transaction as the record (the order's timeline entry).
        self.also: Callable[[UnitOfWork, str], None] | None = None

    def already_sent(self, message_id: str) -> bool:
        with self.c.reader() as uow:
            found = uow.session.scalar(select(SentEmail.message_id).where(SentEmail.message_id == message_id))
        return found is not None

    def record_sent(self, message_id: str) -> None:
        row = {"message_id": message_id, "outbox_id": self.outbox_id, "kind": self.kind,
               "recipient": self.recipient[:254], "order_id": self.order_id, "sent_at": utcnow()}
        def work(uow: UnitOfWork) -> None:
            if insert_ignoring_conflicts(uow.session, table_of(SentEmail), [row], ["message_id"]) and self.also:
                self.also(uow, message_id)

        run(self.c.uow, work)
