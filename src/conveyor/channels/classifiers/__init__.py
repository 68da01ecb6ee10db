"""Per-platform delivery classifiers: `classify(...) -> ChannelEvent` (see `channels/events.py`)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import InvalidOperation

from conveyor.channels.events import ChannelEvent
from conveyor.channels.mappers.common import MappedOrder
from conveyor.shared.errors import DomainError

# What a mapper may raise on a body it cannot use; classification turns each into a problem.
MAPPING_ERRORS = (DomainError, KeyError, TypeError, ValueError, AttributeError, InvalidOperation, IndexError)


def map_into(event: ChannelEvent, mapping: Callable[[], MappedOrder]) -> ChannelEvent:
    """Run a mapper and attach its order, its problems, payment state and order number to `event`;
    a mapper that fails leaves `event.order` None and says why in `event.problems`."""
    try:
        mapped = mapping()
    except MAPPING_ERRORS as exc:
        detail = exc.detail if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        event.problems.append(f"unmappable: {detail}")
        return event
    event.order = mapped
    event.problems.extend(mapped.problems)
    event.order_number = event.order_number or mapped.order_number
    if event.payment_state == "unknown":
        event.payment_state = mapped.payment_state
    event.platform_status = event.platform_status or mapped.platform_status
    event.cancelled_on_channel = event.cancelled_on_channel or mapped.cancelled_on_channel
    return event
