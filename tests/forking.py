"""Run a check in a forked child of the test process and bring its answer back."""

from __future__ import annotations

import os
from collections.abc import Callable


def in_forked_child(check: Callable[[], bool]) -> bool:
    """`check()` as answered in a child forked now (state as the parent has it at this moment);
    False if the child fails."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        answer = b"0"
        try:
            answer = b"1" if check() else b"0"
        finally:
            os.write(write, answer)
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as answer_from_child:
        return answer_from_child.read(1) == b"1"
