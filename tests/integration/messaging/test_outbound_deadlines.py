"""One `conveyor worker --once` pass with a slow-drip receiver and one that never answers among
healthy channel feeds: every call has a connect timeout and a total deadline, so the pass ends,
the healthy feeds are delivered, and the slow ones are cut off at the deadline (the drip server
never got its whole answer out) and wait for a later attempt with the timeout as their error.
Nothing here measures time: the servers record what happened."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from conveyor.channels.handlers import create_channel
from conveyor.inventory.handlers import receive
from conveyor.messaging.model import OutboxMessage
from tests.helpers import seed_world
from tests.integration.messaging.support import silent_port, start_receiver, worker_for
from tests.integration.messaging.test_cli_automation import cli  # noqa: F401 - the fixture
from tests.support_slow import DripServer


@pytest.fixture
def slow_world(container):
    seed_world(container, {"SKU-A": 10})
    worker_for(container).drain()  # the seeding's own messages, before any channel exists
    good, drip, (silent, silent_url) = start_receiver(), DripServer(pause_s=0.2).start(), silent_port()
    feeds = {"good-1": good.url, "drip": drip.url, "silent": silent_url, "good-2": good.url}
    for code, url in feeds.items():
        create_channel(container, code=code, name=code, config={"sync": "webhook", "feed_url": url})
    yield good, drip
    good.stop()
    drip.stop()
    silent.close()


def _deliveries(container) -> dict[str, tuple[str, str]]:
    with container.reader() as uow:
        rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "channel.inventory"))
        return {m.payload["channel"]: (m.status, m.last_error) for m in rows}


def test_a_worker_pass_ends_with_slow_feeds_cut_off_at_the_deadline(cli, container, slow_world,  # noqa: F811
                                                                    monkeypatch):
    good, drip = slow_world
    monkeypatch.setenv("CONVEYOR_OUTBOUND_CONNECT_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("CONVEYOR_OUTBOUND_TOTAL_TIMEOUT_SECONDS", "1")
    receive(container, "SKU-A", "WH1", 5, actor="test")

    ran = cli("worker", "--once")
    assert ran.exit_code == 0 and re.search(r"[1-9]\d* message\(s\) handled", ran.output), ran.output

    found = _deliveries(container)
    assert found["good-1"] == ("done", "") and found["good-2"] == ("done", "")
    assert len(good.arrivals) == 2
    for slow in ("drip", "silent"):
        status, error = found[slow]
        assert status == "pending" and "Timeout" in error, (slow, error)
    # The drip server's answer takes len(ANSWER) × 0.2 s (over 20 s): it was cut off long before.
    assert drip.sent and drip.finished == [False] * len(drip.sent)
