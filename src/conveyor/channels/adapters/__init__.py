"""Platform adapters for sync back out: each module has `client(config, secrets)`,
`push_inventory(http, config, items)` and `push_order(http, config, update)`, shaped like the
platform's own inventory and fulfilment APIs and rooted at the channel's `config.base_url`.

`items` are `{"sku", "channel_sku", "external_ref", "available"}`; `update` is a
`channel.order` payload (`event`, `external_id`, `status`, `carrier`, `tracking_number`).
Items without the platform id an API needs (`external_ref`) are skipped and named in the
result, so one unmapped listing does not block the rest.
"""

from __future__ import annotations

from types import ModuleType


def adapter_for(channel_type: str) -> ModuleType:
    from conveyor.channels.adapters import amazon, bigcommerce, shopify, woocommerce

    modules = {"shopify": shopify, "woocommerce": woocommerce, "bigcommerce": bigcommerce, "amazon": amazon}
    if channel_type not in modules:
        raise ValueError(f"no platform adapter for channel type {channel_type!r}; use sync=webhook")
    return modules[channel_type]
