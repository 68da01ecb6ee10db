"""Which outbox topics the worker handles today, and how. A later issue adds outbound
webhooks, e-mail and broker publishing here."""

from __future__ import annotations

from conveyor.bootstrap import Container
from conveyor.channels import delivery, inbound, sync
from conveyor.channels.secrets import Vault
from conveyor.channels.service import get_channel
from conveyor.messaging.outbox import Topic
from conveyor.messaging.worker import Handler, Message
from conveyor.shared.uow import UnitOfWork


def default_handlers(c: Container) -> dict[str, Handler]:
    vault = Vault.from_settings(c.settings)

    def stock_changed(uow: UnitOfWork, m: Message) -> None:
        sync.fan_out_stock(uow, m.id, m.payload)

    def order_changed(uow: UnitOfWork, m: Message) -> None:
        sync.fan_out_order(uow, m.id, m.topic, m.payload)

    def to_channel(m: Message) -> None:
        with c.reader() as uow:
            channel = get_channel(uow, m.payload["channel_id"])
        delivery.deliver(channel, vault, m.id, m.topic, m.payload)

    def inbound_again(m: Message) -> None:
        inbound.reprocess(c, m.payload["payload_id"])

    def to_3pl(m: Message) -> None:
        from conveyor.fulfillment.handlers import deliver_request

        deliver_request(c, m.id, m.payload)

    handlers = {str(Topic.STOCK_CHANGED): Handler(stock_changed, True)}
    handlers[str(Topic.CHANNEL_INBOUND)] = Handler(inbound_again, False)
    handlers[str(Topic.FULFILMENT_REQUESTED)] = Handler(to_3pl, False)
    handlers |= {str(topic): Handler(order_changed, True) for topic in sync.ORDER_TOPICS}
    handlers |= {str(topic): Handler(to_channel, False) for topic in (Topic.CHANNEL_INVENTORY, Topic.CHANNEL_ORDER)}
    return handlers
