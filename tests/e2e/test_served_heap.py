"""A served worker freezes its start-up heap (gc.freeze), so a full collection under traffic does
not walk every module, table and route (measured: a ~0.2 s pause per worker otherwise). Run in a
child process: freezing is for a process's whole life, not for the test process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

START_APP = """
import gc, sys
from fastapi.testclient import TestClient
from conveyor.api.app import create_app

app = create_app(served=sys.argv[1] == "served")
before = gc.get_freeze_count()
with TestClient(app):  # runs the lifespan: warm-up, then the freeze when served
    print(before, gc.get_freeze_count())
"""


@pytest.mark.parametrize(("how", "frozen"), [("served", True), ("built", False)])
def test_a_served_worker_freezes_what_start_up_built(tmp_path, how, frozen):
    env = {**os.environ, "CONVEYOR_DATABASE_URL": f"sqlite:///{tmp_path / 'heap.db'}",
           "CONVEYOR_LOG_LEVEL": "warning"}
    out = subprocess.run([sys.executable, "-c", START_APP, how], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    before, after = (int(n) for n in out.stdout.split()[-2:])
    assert before == 0
    if frozen:
        assert after > 50_000  # modules, routes, routing tables: the whole start-up heap
    else:
        assert after == 0
