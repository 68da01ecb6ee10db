"""Tracking events in one vocabulary, whatever their source (EasyPost webhooks/trackers, a CSV
from a 3PL or a carrier portal, the API), and late-shipment detection against the promised date.

Canonical statuses: pre_transit, in_transit, out_for_delivery, delivered, exception,
returned_to_sender, unknown. EasyPost's tracker statuses map as documented in its Tracker object
reference (unknown, pre_transit, in_transit, out_for_delivery, delivered, available_for_pickup,
return_to_sender, failure, cancelled, error); `available_for_pickup` counts as the last mile
(out_for_delivery) and the raw status is kept on every event.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from conveyor.shipping.tracking_numbers import CARRIERS, validate

STATUSES = ("pre_transit", "in_transit", "out_for_delivery", "delivered", "exception", "returned_to_sender",
            "unknown")

EASYPOST_STATUS = {
    "unknown": "unknown",
    "pre_transit": "pre_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "available_for_pickup": "out_for_delivery",
    "delivered": "delivered",
    "return_to_sender": "returned_to_sender",
    "failure": "exception",
    "cancelled": "exception",
    "error": "exception",
}

# What people and carrier portals write in the CSV status column (compared case-insensitively,
# spaces and dashes as underscores).
CSV_STATUS_ALIASES = {
    **{s: s for s in STATUSES},
    **EASYPOST_STATUS,
    "label_created": "pre_transit", "shipment_information_received": "pre_transit", "accepted": "in_transit",
    "picked_up": "in_transit", "departed": "in_transit", "arrived": "in_transit", "on_the_way": "in_transit",
    "out_for_delivery_today": "out_for_delivery", "ready_for_pickup": "out_for_delivery",
    "signed": "delivered", "delivery_exception": "exception", "delayed": "exception", "damaged": "exception",
    "lost": "exception", "returned": "returned_to_sender", "rts": "returned_to_sender",
    "returning_to_sender": "returned_to_sender",
}


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    tracking_number: str
    status: str  # one of STATUSES
    occurred_at: datetime  # aware, UTC
    description: str = ""
    carrier: str | None = None
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    raw_status: str = ""
    source: str = ""  # "easypost", "csv", "api", "builtin"


def canonical_status(raw: str) -> str | None:
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    return CSV_STATUS_ALIASES.get(key)


def current_status(events: list[TrackingEvent]) -> str:
    """The status of the latest event (the one listed last wins a tie), or pre_transit."""
    if not events:
        return "pre_transit"
    latest = max(enumerate(events), key=lambda pair: (pair[1].occurred_at, pair[0]))[1]
    return latest.status


# --- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS = ("tracking_number", "carrier", "status", "occurred_at", "description", "city", "region",
               "postal_code", "country")
REQUIRED_COLUMNS = ("tracking_number", "status", "occurred_at")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1-based line number in the file (the header is line 1)
    message: str


@dataclass(frozen=True, slots=True)
class CsvImport:
    events: tuple[TrackingEvent, ...]
    errors: tuple[RowError, ...]


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 with an offset ("2026-11-17T14:05:00-05:00" or "…Z"); naive times are refused,
    because a tracking scan's hour is meaningless without its zone."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("has no UTC offset")
    return moment.astimezone(UTC)


def parse_events_csv(text: str) -> CsvImport:
    """Parse the documented CSV (docs/shipping.md): a header row with at least tracking_number,
    status and occurred_at. Every bad row is reported with its line number; good rows are kept."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))  # \r, \n, \r\n all end a row
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return CsvImport((), (RowError(1, f"missing column(s): {', '.join(missing)}"),))
    reader.fieldnames = header
    events, errors = [], []
    for row in reader:
        line = reader.line_num
        try:
            events.append(_event_from_row({k: (v or "").strip() for k, v in row.items() if k}))
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
    return CsvImport(tuple(events), tuple(errors))


def _event_from_row(row: dict[str, str]) -> TrackingEvent:
    number = row.get("tracking_number", "").replace(" ", "").upper()
    if not number:
        raise ValueError("tracking_number is empty")
    status = canonical_status(row.get("status", ""))
    if status is None:
        raise ValueError(f"unknown status {row.get('status')!r}")
    try:
        occurred = parse_timestamp(row.get("occurred_at", ""))
    except ValueError as exc:
        value = row.get("occurred_at")
        raise ValueError(f"occurred_at {value!r} is not an ISO 8601 time with offset ({exc})") from None
    carrier = row.get("carrier", "").lower() or None
    if carrier in CARRIERS and not validate(number, carrier).valid:
        raise ValueError(f"{number} is not a valid {carrier} tracking number")
    return TrackingEvent(number, status, occurred, row.get("description", ""), carrier, row.get("city", ""),
                         row.get("region", ""), row.get("postal_code", ""), row.get("country", "").upper(),
                         row.get("status", ""), "csv")


# --- lateness -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lateness:
    late: bool
    days_late: int
    status: str
    reason: str


def lateness(promised: date, events: list[TrackingEvent], now: datetime, zone: tzinfo = UTC) -> Lateness:
    """Judge a shipment against its promised delivery date, counting days in `zone` (the
    destination's time zone). Delivered: late if delivered after that date. Not delivered: late
    once the promised day has ended — or already on the promised day when the parcel is stuck in
    an exception or on its way back (it will not arrive today)."""
    status = current_status(events)
    if status == "delivered":
        delivered = max(e.occurred_at for e in events if e.status == "delivered").astimezone(zone).date()
        days = (delivered - promised).days
        if days > 0:
            return Lateness(True, days, status, f"delivered {delivered}, {days} day(s) after the promised {promised}")
        return Lateness(False, 0, status, f"delivered {delivered}, promised {promised}")
    today = now.astimezone(zone).date()
    days = (today - promised).days
    if days > 0:
        return Lateness(True, days, status, f"not delivered {days} day(s) after the promised {promised} ({status})")
    if status in ("exception", "returned_to_sender") and days == 0:
        return Lateness(True, 0, status, f"{status} on the promised day {promised}")
    return Lateness(False, 0, status, f"{status}, promised {promised}")


def is_late(promised: date, events: list[TrackingEvent], now: datetime, zone: tzinfo = UTC) -> bool:
    return lateness(promised, events, now, zone).late
