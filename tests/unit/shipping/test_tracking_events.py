"""Tracking events: EasyPost status mapping, the CSV import with per-row errors, late shipments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conveyor.shipping.tracking_events import (
    EASYPOST_STATUS,
    STATUSES,
    TrackingEvent,
    current_status,
    is_late,
    lateness,
    parse_events_csv,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shipping" / "tracking"
LA = ZoneInfo("America/Los_Angeles")


def event(status: str, when: datetime) -> TrackingEvent:
    return TrackingEvent("1Z999AA10123456784", status, when.astimezone(UTC))


def test_every_easypost_status_maps_to_a_canonical_one() -> None:
    # EasyPost Tracker statuses (docs.easypost.com, Tracker object).
    documented = {"unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered", "available_for_pickup",
                  "return_to_sender", "failure", "cancelled", "error"}
    assert set(EASYPOST_STATUS) == documented
    assert set(EASYPOST_STATUS.values()) <= set(STATUSES)
    assert EASYPOST_STATUS["return_to_sender"] == "returned_to_sender"
    assert EASYPOST_STATUS["failure"] == "exception"


def test_csv_import_keeps_good_rows_and_reports_bad_ones_by_line() -> None:
    result = parse_events_csv((FIXTURES / "events.csv").read_text(encoding="utf-8"))
    assert [e.status for e in result.events] == ["pre_transit", "in_transit", "in_transit", "out_for_delivery",
                                                 "delivered", "returned_to_sender"]
    delivered = result.events[4]
    assert delivered.occurred_at == datetime(2026, 11, 19, 22, 37, tzinfo=UTC)
    assert (delivered.city, delivered.country, delivered.raw_status) == ("San Francisco", "US", "Delivered")
    assert result.events[0].country == "US"
    errors = {e.row: e.message for e in result.errors}
    assert sorted(errors) == [7, 8, 9, 10]
    assert "not a valid ups tracking number" in errors[7]
    assert "unknown status 'teleported'" in errors[8]
    assert "no UTC offset" in errors[9]
    assert "tracking_number is empty" in errors[10]


def test_csv_without_required_columns_is_refused_as_a_whole() -> None:
    result = parse_events_csv("number,state\n1Z999AA10123456784,delivered\n")
    assert result.events == ()
    assert result.errors[0].row == 1
    assert "tracking_number" in result.errors[0].message


def test_the_latest_event_sets_the_status() -> None:
    events = [event("delivered", datetime(2026, 11, 19, 14, tzinfo=LA)),
              event("out_for_delivery", datetime(2026, 11, 19, 8, tzinfo=LA))]
    assert current_status(events) == "delivered"
    assert current_status([]) == "pre_transit"


def test_delivered_on_the_promised_day_in_the_destination_zone_is_on_time() -> None:
    # 22:30 in Los Angeles on the 19th is already the 20th in UTC.
    events = [event("delivered", datetime(2026, 11, 19, 22, 30, tzinfo=LA))]
    now = datetime(2026, 11, 21, tzinfo=UTC)
    assert not is_late(date(2026, 11, 19), events, now, LA)
    assert is_late(date(2026, 11, 19), events, now, UTC)


def test_delivered_after_the_promise_is_late_by_days() -> None:
    result = lateness(date(2026, 11, 18), [event("delivered", datetime(2026, 11, 20, 12, tzinfo=UTC))],
                      datetime(2026, 11, 21, tzinfo=UTC))
    assert (result.late, result.days_late) == (True, 2)
    assert "2 day(s) after the promised 2026-11-18" in result.reason


def test_undelivered_is_late_only_once_the_promised_day_has_passed() -> None:
    events = [event("in_transit", datetime(2026, 11, 18, 9, tzinfo=UTC))]
    assert not is_late(date(2026, 11, 19), events, datetime(2026, 11, 19, 23, 0, tzinfo=UTC))
    assert is_late(date(2026, 11, 19), events, datetime(2026, 11, 20, 0, 1, tzinfo=UTC))


def test_an_exception_on_the_promised_day_is_flagged_late() -> None:
    events = [event("exception", datetime(2026, 11, 19, 9, tzinfo=UTC))]
    assert is_late(date(2026, 11, 19), events, datetime(2026, 11, 19, 10, tzinfo=UTC))
    assert not is_late(date(2026, 11, 20), events, datetime(2026, 11, 19, 10, tzinfo=UTC))
