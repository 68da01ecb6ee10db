"""Channel operations. Channels change rarely and are read on every order, so `channel_info` is
served from the container's cache (frozen `ChannelInfo` values), which every change here
invalidates once it commits; other processes see a change within the cache's time-to-live."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import case, func, select

from conveyor.channels.model import Channel, ChannelType, InboundPayload
from conveyor.channels.secrets import Vault
from conveyor.shared import ids
from conveyor.shared.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.money import check_currency
from conveyor.shared.uow import UnitOfWork

CHANNEL_CACHE = "channels"


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel as the order flow reads it (no secrets, detached from any session)."""
    id: str
    code: str
    name: str
    type: str
    currency: str
    backorder_policy: str | None
    routing_strategy: str | None
    active: bool
    config: Mapping[str, Any]
    stock_buffer: Mapping[str, Any]

    @classmethod
    def of(cls, channel: Channel) -> ChannelInfo:
        return cls(channel.id, channel.code, channel.name, channel.type, channel.currency,
                   channel.backorder_policy, channel.routing_strategy, channel.active,
                   MappingProxyType(dict(channel.config or {})), MappingProxyType(dict(channel.stock_buffer or {})))


def _forget(uow: UnitOfWork) -> None:
    uow.after_commit(uow.caches.named(CHANNEL_CACHE).invalidate)


def create_channel(uow: UnitOfWork, code: str, name: str, type: str = ChannelType.NATIVE,
                   currency: str = "USD", backorder_policy: str | None = None,
                   routing_strategy: str | None = None, *, config: dict | None = None,
                   stock_buffer: dict | None = None, secrets: dict[str, str] | None = None,
                   vault: Vault | None = None) -> Channel:
    if type not in set(ChannelType):
        raise ValidationFailed(f"unknown channel type {type!r}")
    check_currency(currency)
    if uow.session.scalar(select(Channel.id).where(Channel.code == code)):
        raise Conflict(f"channel {code!r} already exists")
    channel = Channel(id=ids.new_id("channel"), code=code, name=name, type=type, currency=currency,
                      backorder_policy=backorder_policy, routing_strategy=routing_strategy,
                      config=dict(config or {}), stock_buffer=check_buffer(stock_buffer or {}))
    if secrets:
        channel.secrets_encrypted = _need(vault).seal(secrets)
    uow.session.add(channel)
    uow.session.flush()
    _forget(uow)
    return channel


def update_channel(uow: UnitOfWork, code: str, changes: dict, *, secrets: dict[str, str] | None = None,
                   vault: Vault | None = None) -> Channel:
    """Change settings; `secrets` keys are merged into the stored ones (an empty value removes one)."""
    channel = get_channel(uow, code)
    for name in ("name", "backorder_policy", "routing_strategy", "active", "config"):
        if name in changes:
            setattr(channel, name, changes[name])
    if "stock_buffer" in changes:
        channel.stock_buffer = check_buffer(changes["stock_buffer"] or {})
    if secrets:
        v = _need(vault)
        merged = {**v.open(channel.secrets_encrypted), **secrets}
        channel.secrets_encrypted = v.seal({k: val for k, val in merged.items() if val})
    uow.session.flush()
    _forget(uow)
    return channel


def channel_secrets(channel: Channel, vault: Vault) -> dict[str, str]:
    return vault.open(channel.secrets_encrypted)


def secret_names(channel: Channel, vault: Vault) -> list[str]:
    """Which secrets are set (names only: values never leave the service)."""
    return sorted(vault.open(channel.secrets_encrypted))


def check_buffer(buffer: dict) -> dict:
    fixed, percent = buffer.get("fixed", 0), buffer.get("percent", 0)
    locations = buffer.get("locations") or []
    if not isinstance(fixed, int) or fixed < 0:
        raise ValidationFailed("stock_buffer.fixed must be a whole number >= 0")
    if not isinstance(percent, int | float) or not 0 <= percent <= 100:
        raise ValidationFailed("stock_buffer.percent must be between 0 and 100")
    if not isinstance(locations, list) or not all(isinstance(x, str) for x in locations):
        raise ValidationFailed("stock_buffer.locations must be a list of location codes")
    return {"fixed": fixed, "percent": percent, "locations": locations}


def _need(vault: Vault | None) -> Vault:
    if vault is None:
        raise ValueError("a Vault is needed to store channel secrets")
    return vault


def list_channels(uow: UnitOfWork) -> list[Channel]:
    return list(uow.session.scalars(select(Channel).order_by(Channel.code)))


def get_channel(uow: UnitOfWork, id_or_code: str) -> Channel:
    channel = uow.session.scalar(
        select(Channel).where((Channel.code == id_or_code) | (Channel.id == id_or_code)))
    if channel is None:
        raise NotFound("channel", id_or_code)
    return channel


def channel_info(uow: UnitOfWork, code: str) -> ChannelInfo:
    """An active channel by code, from the cache; an unknown or inactive one is a 422."""
    def load() -> ChannelInfo | None:
        channel = uow.session.scalar(select(Channel).where(Channel.code == code))
        return ChannelInfo.of(channel) if channel is not None else None

    info: ChannelInfo | None = uow.caches.named(CHANNEL_CACHE).get(("code", code), load)
    if info is None or not info.active:
        raise ValidationFailed(f"unknown or inactive channel {code!r}", ErrorCode.UNKNOWN_CHANNEL, channel=code)
    return info


def channel_info_by_id(uow: UnitOfWork, channel_id: str) -> ChannelInfo:
    """A channel by id (active or not), from the cache."""
    def load() -> ChannelInfo | None:
        channel = uow.session.get(Channel, channel_id)
        return ChannelInfo.of(channel) if channel is not None else None

    info: ChannelInfo | None = uow.caches.named(CHANNEL_CACHE).get(("id", channel_id), load)
    if info is None:
        raise NotFound("channel", channel_id)
    return info


def channel_code_for(uow: UnitOfWork, channel_id: str) -> str:
    return channel_info_by_id(uow, channel_id).code


@dataclass(frozen=True, slots=True)
class PayloadHealth:
    """What a channel sent: when last, how many since a moment, how many failed to apply since then."""
    channel_id: str
    last_received_at: datetime | None
    received: int
    failed: int


def payload_health(uow: UnitOfWork, since: datetime) -> dict[str, PayloadHealth]:
    """Per channel id, from the stored inbound payloads (one grouped query)."""
    recent = InboundPayload.received_at >= since
    rows = uow.session.execute(
        select(InboundPayload.channel_id, func.max(InboundPayload.received_at),
               func.sum(case((recent, 1), else_=0)),
               func.sum(case(((InboundPayload.status == "failed") & recent, 1), else_=0)))
        .group_by(InboundPayload.channel_id))
    return {cid: PayloadHealth(cid, last, int(n or 0), int(failed or 0)) for cid, last, n, failed in rows}
