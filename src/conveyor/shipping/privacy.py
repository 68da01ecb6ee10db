"""A person's data in shipping: the labels printed for their orders carry the ship-to address."""

from __future__ import annotations

from sqlalchemy import select

from conveyor.shared.uow import UnitOfWork
from conveyor.shipping.model import ShippingLabel


def labels_for(uow: UnitOfWork, order_ids: list[str]) -> list[ShippingLabel]:
    if not order_ids:
        return []
    return list(uow.session.scalars(select(ShippingLabel).where(ShippingLabel.order_id.in_(order_ids))))


def erase(uow: UnitOfWork, labels: list[ShippingLabel]) -> None:
    """Drop the label documents (the address is printed on them); what the label cost, its
    carrier and tracking number stay with the financial record. Reprinting is no longer possible."""
    for label in labels:
        label.label_pdf = b""
        label.label_zpl = None
    uow.session.flush()
