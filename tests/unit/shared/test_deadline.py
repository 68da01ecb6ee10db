"""The total deadline of outbound HTTP: a receiver that trickles its answer one byte at a time
(each read well inside httpx's per-read timeout) is cut off at the total deadline; outside a
deadline the same transport waits for the whole answer. No timing is asserted: the drip server
counts how much of its answer went out before the client hung up."""

from __future__ import annotations

import httpx
import pytest

from conveyor.shared.deadline import client, remaining, total_deadline
from tests.support_slow import ANSWER, DripServer


@pytest.fixture
def drip():
    server = DripServer(pause_s=0.02).start()
    yield server
    server.stop()


def test_a_slow_drip_is_cut_off_at_the_total_deadline(drip):
    with client(connect_timeout=1, total_timeout=5) as http, total_deadline(0.5), \
            pytest.raises(httpx.TimeoutException):
        http.get(drip.url)
    # Never the whole answer (it takes len(ANSWER) * 20 ms, over 2 s): the client hung up first.
    assert drip.finished == [False]


def test_without_a_deadline_the_per_read_timeout_alone_lets_the_drip_finish(drip):
    with client(connect_timeout=1, total_timeout=5) as http:
        response = http.get(drip.url)
    assert response.status_code == 200 and response.text == "x" * 40
    assert drip.wait_ended()
    assert drip.sent == [len(ANSWER)] and drip.finished == [True]


def test_deadlines_nest_and_the_earlier_one_wins():
    assert remaining() is None
    with total_deadline(100):
        with total_deadline(1):
            inner = remaining()
        outer = remaining()
    assert inner is not None and outer is not None and inner <= 1 < outer
    assert remaining() is None
