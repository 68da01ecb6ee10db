"""Channel order mappers: one module per platform, each `map_order(...) -> MappedOrder`."""

from conveyor.channels.mappers.common import MappedOrder, SkuLookup, load_json

__all__ = ["MappedOrder", "SkuLookup", "load_json"]
