"""Delivering `channel.inventory` / `channel.order` messages to a channel's sync target.

- `config.sync = "webhook"`: a JSON POST to `config.feed_url`, signed exactly as Standard Webhooks
  (`webhook-id` = the outbox message id for de-duplication, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), the key derived from the
  `feed_secret` as the official libraries derive it (`whsec_` dropped, base64-decoded), so a
  receiver verifies with `standardwebhooks.Webhook(feed_secret)`.
- `config.sync = "platform"`: the platform adapter for the channel's type.
Any exception propagates: the worker records it as last_error and retries with backoff.

Every delivery runs under a total deadline (`Deadlines`, `shared/deadline.py`): each call has a
connect timeout, and the whole delivery — a platform's several calls and their retries included —
ends by the deadline, so a receiver that trickles its answer cannot hold a worker pass.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from conveyor.channels.adapters import adapter_for
from conveyor.channels.model import Channel
from conveyor.channels.secrets import Vault
from conveyor.channels.service import channel_secrets
from conveyor.messaging.signing import signature_headers
from conveyor.shared.deadline import client as deadline_client
from conveyor.shared.deadline import total_deadline


@dataclass(frozen=True, slots=True)
class Deadlines:
    connect_s: float = 5.0
    total_s: float = 30.0

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.total_s, connect=min(self.connect_s, self.total_s))


def deliver(channel: Channel, vault: Vault, message_id: str, topic: str, payload: dict,
            deadlines: Deadlines = Deadlines()) -> dict[str, Any]:  # noqa: B008 - frozen, never changed
    config, secrets = channel.config or {}, channel_secrets(channel, vault)
    with total_deadline(deadlines.total_s):
        if config.get("sync") == "webhook":
            return _post_feed(config, secrets, message_id, topic, payload, deadlines)
        adapter = adapter_for(channel.type)
        with adapter.client(config, secrets, timeout=deadlines.timeout) as http:
            if topic == "channel.inventory":
                return {"skipped": adapter.push_inventory(http, config, payload["items"])}
            adapter.push_order(http, config, payload)
    return {}


def _post_feed(config: dict, secrets: dict, message_id: str, topic: str, payload: dict, deadlines: Deadlines,
               now: Callable[[], float] = time.time) -> dict[str, Any]:
    body = feed_body(message_id, topic, payload)
    # Standard Webhooks signing (messaging/signing.py): a `whsec_` secret is base64-decoded. A feed
    # without a secret goes out unsigned (id and timestamp only).
    stamp, secret = int(now()), secrets.get("feed_secret", "")
    signed = signature_headers([secret], message_id, stamp, body) if secret else {
        "webhook-id": message_id, "webhook-timestamp": str(stamp)}
    headers = {"Content-Type": "application/json", **signed}
    with deadline_client(deadlines.connect_s, deadlines.total_s) as http:
        response = http.post(config["feed_url"], content=body, headers=headers)
    response.raise_for_status()  # the worker retries: the receiver de-duplicates on webhook-id
    return {}


def feed_body(message_id: str, topic: str, payload: dict) -> bytes:
    return json.dumps({"type": topic.removeprefix("channel."), "id": message_id, **payload},
                      separators=(",", ":")).encode()
