"""Delivery dates: when a parcel leaves (pickup cut-off, pickup days) and when it arrives
(transit business days, skipping weekends and the carrier's holidays).

All inputs are explicit: "now" is passed in (timezone-aware), the cut-off is a wall-clock time in
the origin's time zone, and holidays come from the `holidays` package for the carrier's country
and subdivision, minus the holidays the carrier works on (UPS, for instance, delivers on
Columbus Day and Veterans Day; USPS does not).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from conveyor.shared.errors import ValidationFailed

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
_LOOKAHEAD_DAYS = 60  # more consecutive closed days than this is a configuration error


@dataclass(frozen=True, slots=True)
class ShippingCalendar:
    """When a carrier picks up at one origin and when it delivers."""

    timezone: str = "UTC"  # the origin's IANA zone: the cut-off is local time there
    cutoff: time = time(17, 0)
    pickup_weekdays: frozenset[int] = MONDAY_TO_FRIDAY  # 0 = Monday
    delivery_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    working_holidays: frozenset[str] = frozenset()  # holiday names the carrier ignores
    extra_closed_dates: frozenset[date] = field(default_factory=frozenset)

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_closed_dates:
            return True
        if not self.holiday_country:
            return False
        names = _holiday_names(self.holiday_country, self.holiday_subdivision, day.year).get(day)
        if not names:
            return False
        return any(_base_name(name) not in self.working_holidays for name in names)

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra_closed_dates:
            return "carrier closed"
        if not self.holiday_country:
            return None
        names = _holiday_names(self.holiday_country, self.holiday_subdivision, day.year).get(day, ())
        closed = [n for n in names if _base_name(n) not in self.working_holidays]
        return "; ".join(closed) or None

    def is_pickup_day(self, day: date) -> bool:
        return day.weekday() in self.pickup_weekdays and not self.is_holiday(day)

    def is_delivery_day(self, day: date) -> bool:
        return day.weekday() in self.delivery_weekdays and not self.is_holiday(day)

    def cutoff_at(self, day: date) -> datetime:
        """The cut-off on `day` as an aware UTC datetime."""
        return datetime.combine(day, self.cutoff, tzinfo=self.zone()).astimezone(UTC)


def _base_name(name: str) -> str:
    return name.removesuffix(" (observed)").strip()


@lru_cache(maxsize=256)
def _holiday_names(country: str, subdivision: str | None, year: int) -> dict[date, tuple[str, ...]]:
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as exc:
        raise ValidationFailed(f"no holiday calendar for {country}/{subdivision}") from exc
    return {day: tuple(name.split("; ")) for day, name in calendar.items()}


@dataclass(frozen=True, slots=True)
class DeliveryEstimate:
    ship_date: date
    delivery_date: date
    transit_days: int
    order_by: datetime  # latest moment (UTC) an order can be placed to ship on ship_date
    missed_cutoff: bool  # today was a pickup day but its cut-off had passed
    skipped: tuple[str, ...]  # non-working days passed over, for the explanation

    def explain(self) -> str:
        text = f"ships {self.ship_date.isoformat()}, {self.transit_days} transit day(s), " \
               f"delivered {self.delivery_date.isoformat()}"
        if self.missed_cutoff:
            text += " (today's cut-off has passed)"
        if self.skipped:
            text += "; skipping " + ", ".join(self.skipped)
        return text


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValidationFailed("'now' must be timezone-aware")


def ship_date(calendar: ShippingCalendar, now: datetime, handling_days: int = 0) -> tuple[date, bool]:
    """The pickup day an order placed at `now` leaves on, and whether today's cut-off was missed.

    Today counts if it is a pickup day and `now` is before its cut-off; otherwise the next pickup
    day. `handling_days` (the warehouse's processing time) pushes it on by that many pickup days."""
    first, missed = _first_pickup_day(calendar, now)
    return _after_handling(calendar, first, handling_days), missed


def _first_pickup_day(calendar: ShippingCalendar, now: datetime) -> tuple[date, bool]:
    """The first pickup day whose cut-off is still ahead of `now` (the day an order "makes")."""
    _require_aware(now)
    local = now.astimezone(calendar.zone())
    today = local.date()
    missed = calendar.is_pickup_day(today) and local.time() >= calendar.cutoff
    if calendar.is_pickup_day(today) and not missed:
        return today, False
    return _next(calendar.is_pickup_day, today), missed


def _after_handling(calendar: ShippingCalendar, day: date, handling_days: int) -> date:
    for _ in range(handling_days):
        day = _next(calendar.is_pickup_day, day)
    return day


def delivery_date(calendar: ShippingCalendar, shipped: date, transit_days: int) -> tuple[date, tuple[str, ...]]:
    """`transit_days` delivery days after `shipped`; weekends and holidays do not count."""
    day, skipped = shipped, []
    for _ in range(transit_days):
        day += timedelta(days=1)
        while not calendar.is_delivery_day(day):
            skipped.append(_why_closed(calendar, day))
            day += timedelta(days=1)
            _guard(day, shipped)
    if transit_days == 0:
        return shipped, ()
    return day, tuple(skipped)


def estimate(calendar: ShippingCalendar, now: datetime, transit_days: int, handling_days: int = 0) -> DeliveryEstimate:
    """Ship and delivery date for an order placed at `now`. `order_by` is the cut-off of the day
    the order is processed on: ordering any time before it gives the same delivery date."""
    first, missed = _first_pickup_day(calendar, now)
    shipped = _after_handling(calendar, first, handling_days)
    delivered, skipped = delivery_date(calendar, shipped, transit_days)
    return DeliveryEstimate(shipped, delivered, transit_days, calendar.cutoff_at(first), missed, skipped)


def _next(is_open: Callable[[date], bool], day: date) -> date:
    start = day
    day += timedelta(days=1)
    while not is_open(day):
        day += timedelta(days=1)
        _guard(day, start)
    return day


def _guard(day: date, start: date) -> None:
    if (day - start).days > _LOOKAHEAD_DAYS:
        raise ValidationFailed(f"no working day within {_LOOKAHEAD_DAYS} days of {start}: check the calendar")


def _why_closed(calendar: ShippingCalendar, day: date) -> str:
    name = calendar.holiday_name(day)
    return f"{day.isoformat()} ({name or day.strftime('%A')})"


# --- the checkout promise ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryPromise:
    """"Order within 2 h 14 min, get it Thursday" for one service."""

    service: str
    delivery_date: date
    order_by: datetime
    remaining: timedelta

    def message(self, now: datetime) -> str:
        weekday = self.delivery_date.strftime("%A")
        if self.delivery_date - now.date() >= timedelta(days=7):
            weekday += f" {self.delivery_date.day} {self.delivery_date.strftime('%B')}"
        return f"Order within {format_remaining(self.remaining)}, get it {weekday}"


def format_remaining(remaining: timedelta) -> str:
    minutes = max(int(remaining.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) + ([f"{mins} min"] if mins else [])
    return " ".join(parts) or "less than a minute"


def promise(service: str, estimate_now: DeliveryEstimate, now: datetime) -> DeliveryPromise:
    return DeliveryPromise(service, estimate_now.delivery_date, estimate_now.order_by,
                           estimate_now.order_by - now.astimezone(UTC))


def best_promise(candidates: list[tuple[str, DeliveryEstimate]], now: datetime) -> DeliveryPromise | None:
    """The earliest delivery date on offer; among services that share it, the one whose cut-off
    is latest (the longest "order within")."""
    if not candidates:
        return None
    service, chosen = min(candidates, key=lambda c: (c[1].delivery_date, -c[1].order_by.timestamp()))
    return promise(service, chosen, now)
