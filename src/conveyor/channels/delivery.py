"""Delivering `channel.inventory` / `channel.order` messages to a channel's sync target.

- `config.sync = "webhook"`: a JSON POST to `config.feed_url`, signed exactly as Standard Webhooks
  (`webhook-id` = the outbox message id for de-duplication, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), the key derived from the
  `feed_secret` as the official libraries derive it (`whsec_` dropped, base64-decoded), so a
  receiver verifies with `standardwebhooks.Webhook(feed_secret)`.
- `config.sync = "platform"`: the platform adapter for the channel's type.
Any exception propagates: the worker records it as last_error and retries with backoff.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from conveyor.channels.adapters import adapter_for
from conveyor.channels.model import Channel
from conveyor.channels.secrets import Vault
from conveyor.channels.service import channel_secrets
from conveyor.messaging.signing import signature_headers

TIMEOUT_S = 15.0


def deliver(channel: Channel, vault: Vault, message_id: str, topic: str, payload: dict) -> dict[str, Any]:
    config, secrets = channel.config or {}, channel_secrets(channel, vault)
    if config.get("sync") == "webhook":
        return _post_feed(config, secrets, message_id, topic, payload)
    adapter = adapter_for(channel.type)
    with adapter.client(config, secrets, timeout=TIMEOUT_S) as http:
        if topic == "channel.inventory":
            return {"skipped": adapter.push_inventory(http, config, payload["items"])}
        adapter.push_order(http, config, payload)
    return {}


def _post_feed(config: dict, secrets: dict, message_id: str, topic: str, payload: dict,
               now: Callable[[], float] = time.time) -> dict[str, Any]:
    body = feed_body(message_id, topic, payload)
    # Standard Webhooks signing (messaging/signing.py): a `whsec_` secret is base64-decoded. A feed
    # without a secret goes out unsigned (id and timestamp only).
    stamp, secret = int(now()), secrets.get("feed_secret", "")
    signed = signature_headers([secret], message_id, stamp, body) if secret else {
        "webhook-id": message_id, "webhook-timestamp": str(stamp)}
    headers = {"Content-Type": "application/json", **signed}
    response = httpx.post(config["feed_url"], content=body, headers=headers, timeout=TIMEOUT_S)
    response.raise_for_status()  # the worker retries: the receiver de-duplicates on webhook-id
    return {}


def feed_body(message_id: str, topic: str, payload: dict) -> bytes:
    return json.dumps({"type": topic.removeprefix("channel."), "id": message_id, **payload},
                      separators=(",", ":")).encode()
