"""When pending fulfilment orders are released (fulfillment/release_rules.py), the clock passed in."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conveyor.fulfillment.release_rules import Candidate, decide, last_cutoff, policy
from conveyor.shared.errors import ValidationFailed

NY = ZoneInfo("America/New_York")
CUTOFF = policy("cutoff", "America/New_York", "14:00", 0, ["fraud-review"])


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=NY)


def released(rules, created: datetime, now: datetime, **extra) -> tuple[bool, str]:
    [d] = decide(rules, [Candidate("ffo_1", created, **extra)], now)
    return d.release, d.reason


def test_cutoff_releases_what_came_in_before_it_once_it_has_passed():
    assert released(CUTOFF, at(1, 9), at(1, 13, 59))[0] is False
    assert released(CUTOFF, at(1, 9), at(1, 14, 1)) == (True, "cut-off 14:00:00 passed")
    late, why = released(CUTOFF, at(1, 14, 30), at(1, 16))
    assert late is False and "next one" in why
    assert released(CUTOFF, at(1, 14, 30), at(2, 14, 0))[0] is True


def test_the_cutoff_is_local_time_across_a_day_boundary_in_utc():
    # 14:00 in New York is 19:00 UTC: at 01:00 UTC the next day the last cut-off is still "yesterday's".
    now = datetime(2026, 12, 2, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert last_cutoff(CUTOFF, now) == at(1, 14)


def test_immediate_release_waits_out_the_grace_period():
    rules = policy("immediate", "UTC", None, 30, [])
    assert released(rules, at(1, 9), at(1, 9, 10))[0] is False
    assert released(rules, at(1, 9), at(1, 9, 31)) == (True, "released on arrival")


def test_holds_and_hold_tags_are_never_released_automatically():
    assert released(CUTOFF, at(1, 9), at(1, 15), order_tags=("fraud-review",)) == (
        False, "the order is tagged fraud-review")
    assert released(CUTOFF, at(1, 9), at(1, 15), order_on_hold=True)[1] == "the order is on hold"
    assert released(policy("manual", "UTC", None, 0, []), at(1, 9), at(5, 9))[0] is False


@pytest.mark.parametrize(("args", "field"), [
    (("cutoff", "UTC", None, 0, []), "release_cutoff"),
    (("cutoff", "UTC", "25:00", 0, []), "release_cutoff"),
    (("immediate", "Mars/Olympus", None, 0, []), "timezone"),
    (("sometimes", "UTC", None, 0, []), "release_mode"),
])
def test_bad_policies_name_the_field(args, field):
    with pytest.raises(ValidationFailed) as caught:
        policy(*args)
    assert caught.value.extra["field"] == field


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        decide(CUTOFF, [], datetime(2026, 12, 1) + timedelta(0))
