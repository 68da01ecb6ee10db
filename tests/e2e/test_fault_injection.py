"""The short form of benchmarks/fault_injection.py (must-show 5): under concurrent orders on
PostgreSQL, an API worker process and an outbox worker are killed with SIGKILL twice; every 201
exists exactly once, none is half-written, the audit is clean and every event was delivered at
least once. The full run and its figures: docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fault_injection.py"


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("CONVEYOR_TEST_POSTGRES_URL"), reason="needs PostgreSQL "
                    "(CONVEYOR_TEST_POSTGRES_URL): the faults are injected into a PostgreSQL deployment")
def test_kill_9_of_api_and_outbox_workers_loses_and_duplicates_nothing():
    done = subprocess.run([sys.executable, str(SCRIPT), "--seconds", "8", "--kills", "2", "--clients", "4"],
                          capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and report["ok"], report
    assert report["killed"] == {"api_workers": 2, "outbox_workers": 2}
    assert report["orders_acknowledged"] > 0 and report["orders_acknowledged"] == report["orders_stored"] - report[
        "committed_without_answer"]
    assert (report["acknowledged_missing"], report["stored_more_than_once"], report["half_written"],
            report["audit_violations"], report["unanswered"], report["outbox_left"]) == (0, 0, 0, 0, 0, 0)
    assert report["events_delivered"] >= report["events_to_deliver"] > 0
