"""When a location's pending fulfilment orders are released to the floor (pure).

Modes, per location:
- `manual`: only by hand (API/CLI);
- `immediate`: as soon as the fulfilment order is `min_age_minutes` old (a grace period in which
  a customer's cancellation costs nothing);
- `cutoff`: once a day at the local cut-off time, everything created before it (one wave for the
  afternoon pickup); whatever comes later waits for the next day's cut-off.

Never released automatically: an order on hold, or one carrying any of the location's
`hold_tags` (e.g. `fraud-review`, `gift-wrap-check`). "Now" is passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conveyor.shared.errors import ValidationFailed

MODES = ("manual", "immediate", "cutoff")


@dataclass(frozen=True, slots=True)
class ReleasePolicy:
    mode: str = "manual"
    timezone: str = "UTC"
    cutoff: time | None = None
    min_age_minutes: int = 0
    hold_tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Candidate:
    fulfilment_order_id: str
    created_at: datetime  # aware
    order_tags: tuple[str, ...] = ()
    order_on_hold: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    fulfilment_order_id: str
    release: bool
    reason: str


def parse_cutoff(value: str | None) -> time | None:
    if value in (None, ""):
        return None
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValidationFailed(f"cut-off {value!r} is not a time of day HH:MM", field="release_cutoff") from None


def policy(mode: str, timezone: str, cutoff: str | None, min_age_minutes: int,
           hold_tags: Iterable[str]) -> ReleasePolicy:
    """A validated policy (the first bad field is named)."""
    if mode not in MODES:
        raise ValidationFailed(f"release_mode must be one of {', '.join(MODES)}", field="release_mode")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"unknown time zone {timezone!r}", field="timezone") from None
    parsed = parse_cutoff(cutoff)
    if mode == "cutoff" and parsed is None:
        raise ValidationFailed("release_mode cutoff needs a release_cutoff (HH:MM)", field="release_cutoff")
    if min_age_minutes < 0:
        raise ValidationFailed("min_age_minutes must be ≥ 0", field="min_age_minutes")
    return ReleasePolicy(mode, timezone, parsed, min_age_minutes, frozenset(hold_tags))


def last_cutoff(rules: ReleasePolicy, now: datetime) -> datetime:
    """The latest cut-off instant at or before `now` (today's, or yesterday's before it)."""
    assert rules.cutoff is not None
    zone = ZoneInfo(rules.timezone)
    local = now.astimezone(zone)
    today = datetime.combine(local.date(), rules.cutoff, tzinfo=zone)
    return today if local >= today else datetime.combine(local.date() - timedelta(days=1), rules.cutoff,
                                                          tzinfo=zone)


def decide(rules: ReleasePolicy, candidates: Iterable[Candidate], now: datetime) -> list[Decision]:
    """Whether each pending fulfilment order is due for release now, and why (or why not)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return [_decide_one(rules, c, now) for c in candidates]


def _decide_one(rules: ReleasePolicy, c: Candidate, now: datetime) -> Decision:
    def no(reason: str) -> Decision:
        return Decision(c.fulfilment_order_id, False, reason)

    if rules.mode == "manual":
        return no("the location releases by hand")
    if c.order_on_hold:
        return no("the order is on hold")
    held_by = sorted(rules.hold_tags.intersection(c.order_tags))
    if held_by:
        return no(f"the order is tagged {', '.join(held_by)}")
    ready_at = c.created_at + timedelta(minutes=rules.min_age_minutes)
    if now < ready_at:
        return no(f"in its grace period until {ready_at.isoformat()}")
    if rules.mode == "cutoff":
        cutoff = last_cutoff(rules, now)
        if c.created_at >= cutoff:
            return no(f"created after the last cut-off ({cutoff.isoformat()}): goes with the next one")
        return Decision(c.fulfilment_order_id, True, f"cut-off {rules.cutoff} passed")
    return Decision(c.fulfilment_order_id, True, "released on arrival")
