"""Delivery-date estimates across weekends, holidays, missed cut-offs and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conveyor.shared.errors import ValidationFailed
from conveyor.shipping.calendar import ShippingCalendar, best_promise, estimate, format_remaining, ship_date

NEW_YORK = ZoneInfo("America/New_York")
US = ShippingCalendar(timezone="America/New_York", cutoff=time(17, 0), holiday_country="US")


def ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def test_before_the_cutoff_ships_today_and_skips_the_weekend() -> None:
    # Thursday 19 Nov 2026, 15:00 in New York; two transit days → Friday, (weekend), Monday.
    result = estimate(US, ny(2026, 11, 19, 15), transit_days=2)
    assert result.ship_date == date(2026, 11, 19)
    assert result.delivery_date == date(2026, 11, 23)
    assert not result.missed_cutoff
    assert "2026-11-21 (Saturday)" in result.explain()


def test_a_holiday_in_transit_is_not_a_delivery_day() -> None:
    # Wednesday before Thanksgiving (Thu 26 Nov 2026): one transit day lands on Friday.
    result = estimate(US, ny(2026, 11, 25, 10), transit_days=1)
    assert result.delivery_date == date(2026, 11, 27)
    assert "Thanksgiving" in result.explain()


def test_a_missed_cutoff_ships_on_the_next_pickup_day_after_the_holiday() -> None:
    result = estimate(US, ny(2026, 11, 25, 17, 30), transit_days=1)
    assert result.missed_cutoff
    assert result.ship_date == date(2026, 11, 27)  # Thursday is Thanksgiving
    assert result.delivery_date == date(2026, 11, 30)  # Friday ship, weekend, Monday
    assert result.order_by == ny(2026, 11, 27, 17).astimezone(UTC)


def test_the_cutoff_is_local_time_at_the_origin() -> None:
    instant = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)  # 18:30 in New York, 15:30 in Los Angeles
    los_angeles = ShippingCalendar(timezone="America/Los_Angeles", cutoff=time(17, 0), holiday_country="US")
    assert ship_date(US, instant) == (date(2026, 11, 20), True)
    assert ship_date(los_angeles, instant) == (date(2026, 11, 19), False)


def test_the_local_date_not_the_utc_date_decides_today() -> None:
    # 03:00 UTC on Saturday is still Friday evening in Los Angeles, after its cut-off.
    los_angeles = ShippingCalendar(timezone="America/Los_Angeles", cutoff=time(17, 0), holiday_country="US")
    shipped, missed = ship_date(los_angeles, datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    assert missed
    assert shipped == date(2026, 11, 23)


def test_an_order_on_a_weekend_ships_on_monday_without_counting_a_missed_cutoff() -> None:
    shipped, missed = ship_date(US, ny(2026, 11, 21, 9))
    assert shipped == date(2026, 11, 23)
    assert not missed


def test_a_carrier_can_work_on_a_public_holiday() -> None:
    # Veterans Day (Wed 11 Nov 2026): USPS is closed, UPS is not.
    ups_like = ShippingCalendar(timezone="America/New_York", holiday_country="US",
                                working_holidays=frozenset({"Veterans Day"}))
    assert estimate(ups_like, ny(2026, 11, 10, 9), 1).delivery_date == date(2026, 11, 11)
    assert estimate(US, ny(2026, 11, 10, 9), 1).delivery_date == date(2026, 11, 12)


def test_observed_holidays_close_the_carrier_too() -> None:
    # Independence Day 2026 is a Saturday, observed on Friday 3 July.
    assert US.is_holiday(date(2026, 7, 3))
    assert estimate(US, ny(2026, 7, 2, 9), 1).delivery_date == date(2026, 7, 6)


def test_subdivision_holidays_apply() -> None:
    bavaria = ShippingCalendar(timezone="Europe/Berlin", holiday_country="DE", holiday_subdivision="BY")
    berlin = ShippingCalendar(timezone="Europe/Berlin", holiday_country="DE", holiday_subdivision="BE")
    # Epiphany (Tue 6 Jan 2026) is a holiday in Bavaria only.
    monday = datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    assert estimate(bavaria, monday, 1).delivery_date == date(2026, 1, 7)
    assert estimate(berlin, monday, 1).delivery_date == date(2026, 1, 6)


def test_saturday_delivery_and_extra_closed_dates() -> None:
    saturday_delivery = ShippingCalendar(timezone="America/New_York", holiday_country="US",
                                         delivery_weekdays=frozenset({0, 1, 2, 3, 4, 5}),
                                         extra_closed_dates=frozenset({date(2026, 11, 23)}))
    assert estimate(saturday_delivery, ny(2026, 11, 20, 9), 1).delivery_date == date(2026, 11, 21)
    assert estimate(saturday_delivery, ny(2026, 11, 20, 9), 2).delivery_date == date(2026, 11, 24)


def test_handling_days_delay_the_ship_date_but_not_the_order_by() -> None:
    result = estimate(US, ny(2026, 11, 19, 9), transit_days=1, handling_days=1)
    assert result.ship_date == date(2026, 11, 20)
    assert result.delivery_date == date(2026, 11, 23)
    assert result.order_by == ny(2026, 11, 19, 17).astimezone(UTC)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        ship_date(US, datetime(2026, 11, 19, 9))


def test_a_calendar_with_no_working_days_is_reported() -> None:
    never = ShippingCalendar(pickup_weekdays=frozenset({5}), extra_closed_dates=frozenset(
        date(2026, 1, 1) + timedelta(days=n) for n in range(120)))
    with pytest.raises(ValidationFailed, match="no working day"):
        ship_date(never, datetime(2026, 1, 1, tzinfo=UTC))


def test_checkout_promise_order_within_two_hours_get_it_thursday() -> None:
    now = ny(2026, 11, 17, 15)  # Tuesday
    offer = best_promise([("ground", estimate(US, now, 5)), ("express", estimate(US, now, 2))], now)
    assert offer is not None
    assert offer.service == "express"
    assert offer.delivery_date == date(2026, 11, 19)
    assert offer.message(now) == "Order within 2 h, get it Thursday"


def test_checkout_promise_after_fridays_cutoff_counts_down_to_monday() -> None:
    now = ny(2026, 11, 20, 18)  # Friday, after the cut-off
    offer = best_promise([("express", estimate(US, now, 1))], now)
    assert offer is not None
    assert offer.delivery_date == date(2026, 11, 24)
    assert offer.remaining == timedelta(days=2, hours=23)
    assert offer.message(now) == "Order within 2 d 23 h, get it Tuesday"


def test_equal_dates_prefer_the_later_cutoff() -> None:
    late_cutoff = ShippingCalendar(timezone="America/New_York", cutoff=time(19, 0), holiday_country="US")
    now = ny(2026, 11, 17, 15)
    offer = best_promise([("a", estimate(US, now, 2)), ("b", estimate(late_cutoff, now, 2))], now)
    assert offer is not None and offer.service == "b"
    assert best_promise([], now) is None


def test_remaining_time_is_written_for_people() -> None:
    assert format_remaining(timedelta(hours=2, minutes=14)) == "2 h 14 min"
    assert format_remaining(timedelta(seconds=30)) == "less than a minute"


def test_a_promise_a_week_or_more_away_names_the_date() -> None:
    now = ny(2026, 12, 18, 9)  # Friday; ten transit days skip two weekends, Christmas and New Year
    offer = best_promise([("slow", estimate(US, now, 10))], now)
    assert offer is not None and offer.delivery_date == date(2027, 1, 5)
    assert offer.message(now) == "Order within 8 h, get it Tuesday 5 January"
