"""Which outbox topics the worker handles today, and how. A later issue adds outbound
webhooks, e-mail and broker publishing here."""

from __future__ import annotations

from conveyor.bootstrap import Container
from conveyor.channels import delivery, sync
from conveyor.channels.model import Channel
from conveyor.channels.secrets import Vault
from conveyor.messaging.worker import Handler, Message
from conveyor.shared.db import UnitOfWork


def default_handlers(c: Container) -> dict[str, Handler]:
    vault = Vault.from_settings(c.settings)

    def stock_changed(uow: UnitOfWork, m: Message) -> None:
        sync.fan_out_stock(uow, m.id, m.payload)

    def order_changed(uow: UnitOfWork, m: Message) -> None:
        sync.fan_out_order(uow, m.id, m.topic, m.payload)

    def to_channel(m: Message) -> None:
        with c.reader() as uow:
            channel = uow.session.get(Channel, m.payload["channel_id"])
        delivery.deliver(channel, vault, m.id, m.topic, m.payload)

    handlers = {"stock.changed": Handler(stock_changed, True)}
    handlers |= {topic: Handler(order_changed, True) for topic in sync.ORDER_TOPICS}
    handlers |= {topic: Handler(to_channel, False) for topic in ("channel.inventory", "channel.order")}
    return handlers
