"""Channel use cases. Channels change rarely and are read on every order, so lookups by code go
through a small in-process cache that every change here invalidates."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from conveyor.channels.model import Channel, ChannelType
from conveyor.shared import ids
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.money import check_currency

_CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, Channel]] = {}
_lock = threading.Lock()


def invalidate_cache() -> None:
    with _lock:
        _cache.clear()


def create_channel(uow: UnitOfWork, code: str, name: str, type: str = ChannelType.NATIVE,
                   currency: str = "USD", backorder_policy: str | None = None,
                   routing_strategy: str | None = None) -> Channel:
    if type not in set(ChannelType):
        raise ValidationFailed(f"unknown channel type {type!r}")
    check_currency(currency)
    if uow.session.scalar(select(Channel.id).where(Channel.code == code)):
        raise Conflict(f"channel {code!r} already exists")
    channel = Channel(id=ids.new_id("channel"), code=code, name=name, type=type, currency=currency,
                      backorder_policy=backorder_policy, routing_strategy=routing_strategy)
    uow.session.add(channel)
    uow.commit()
    invalidate_cache()
    return channel


def list_channels(uow: UnitOfWork) -> list[Channel]:
    return list(uow.session.scalars(select(Channel).order_by(Channel.code)))


def get_channel(uow: UnitOfWork, id_or_code: str) -> Channel:
    channel = uow.session.scalar(
        select(Channel).where((Channel.code == id_or_code) | (Channel.id == id_or_code)))
    if channel is None:
        raise NotFound("channel", id_or_code)
    return channel


def channel_code_for(uow: UnitOfWork, channel_id: str) -> str:
    """The code of a channel id (cached with the rest)."""
    for _, channel in list(_cache.values()):
        if channel.id == channel_id:
            return channel.code
    code = uow.session.scalar(select(Channel.code).where(Channel.id == channel_id))
    if code is None:
        raise NotFound("channel", channel_id)
    channel_by_code(uow, code)
    return code


def channel_by_code(uow: UnitOfWork, code: str) -> Channel:
    """Cached lookup for the hot path; the returned object is detached and read-only."""
    now = time.monotonic()
    hit = _cache.get(code)
    if hit and now - hit[0] < _CACHE_SECONDS:
        return hit[1]
    channel = uow.session.scalar(select(Channel).where(Channel.code == code))
    if channel is None or not channel.active:
        raise ValidationFailed(f"unknown or inactive channel {code!r}", ErrorCode.UNKNOWN_CHANNEL, channel=code)
    uow.session.expunge(channel)
    with _lock:
        _cache[code] = (now, channel)
    return channel
