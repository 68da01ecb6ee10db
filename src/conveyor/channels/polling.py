"""Pulling orders from channels that do not push them: Amazon SP-API (`conveyor channels poll`).

Each pulled order is stored as a raw payload first (source "pull"), then placed like a webhook
order. Orders are asked for by `LastUpdatedAfter` (not `CreatedAfter`), so an order first seen
`Pending` comes back when it becomes `Unshipped` or `Canceled`. The window starts at the cursor
the last successful poll left (`config.last_polled_at`, see `connectors.amazon.next_cursor`: a
little before that poll began), so nothing falls between two polls; re-pulled unchanged orders are
recognised by their payload hash and changed ones by (channel, external id).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from conveyor.bootstrap import Container
from conveyor.channels import handlers, intake
from conveyor.channels.connectors.amazon import AmazonConnector, next_cursor
from conveyor.channels.events import ChannelEvent
from conveyor.channels.http import ChannelHttpClient, RetryPolicy
from conveyor.channels.inbound import FINAL, apply
from conveyor.channels.model import ChannelType
from conveyor.channels.secrets import Vault
from conveyor.channels.service import ChannelInfo, channel_secrets, get_channel
from conveyor.channels.skumap import preloaded_lookup
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import ValidationFailed


@dataclass(slots=True)
class PollReport:
    since: datetime
    pulled: int = 0
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def poll(c: Container, code: str, since: datetime | None = None, *,
         sleep: Callable[[float], None] = time.sleep) -> PollReport:
    vault = Vault.from_settings(c.settings)
    with c.reader() as uow:
        found = get_channel(uow, code)
        channel, secrets = ChannelInfo.of(found), channel_secrets(found, vault)
        lookup = preloaded_lookup(uow, channel.id)
    if channel.type != ChannelType.AMAZON:
        raise ValidationFailed(f"channel {code!r} is {channel.type}: only Amazon channels are polled")
    config, started = dict(channel.config), utcnow()
    since = since or _last(config) or started - timedelta(days=1)
    client = ChannelHttpClient(config["base_url"], retry=RetryPolicy(), sleep=sleep, timeout=20.0)
    with client:
        connector = AmazonConnector(client, lambda: secrets.get("access_token", ""),
                                    marketplace_ids=config.get("marketplace_ids") or [], channel=code)
        pulled = connector.events(lookup, last_updated_after=since)
        cursor = next_cursor(started, connector.last_updated_before)
    report = PollReport(since, pulled=len(pulled))
    for raw, event in pulled:
        _take(c, channel, raw, event, report)
    handlers.update_channel(c, code, {"config": {**config, "last_polled_at": cursor.isoformat()}})
    return report


def _take(c: Container, channel: ChannelInfo, raw: dict[str, Any], event: ChannelEvent, report: PollReport) -> None:
    """Store the pulled document, then apply it like a webhook: an unchanged re-read is the same
    delivery (its hash), a changed one updates the order it names."""
    body = json.dumps(raw, default=str).encode()
    stored = handlers.store_payload(c, channel, body, {}, intake.pulled_delivery_id(raw), source="pull",
                                    topic=event.topic)
    if stored.duplicate and stored.status in FINAL:
        if stored.status == "failed":
            report.failed.append((event.external_id, "stored earlier and not usable; see the failed payloads"))
        else:
            report.duplicates += 1
        return
    outcome = apply(c, channel, stored.id, event)
    word = outcome.body["status"]
    if word == "failed":
        report.failed.append((event.external_id, "; ".join(outcome.body["problems"]) or "not usable"))
    elif outcome.status_code == 201:
        report.created += 1
    elif word in ("updated", "cancelled"):
        report.updated += 1
    else:
        report.duplicates += 1


def _last(config: dict) -> datetime | None:
    value = config.get("last_polled_at")
    return datetime.fromisoformat(value) if value else None
