"""Python's cyclic garbage collector, set for bulk work.

The collector looks at the young objects every 700 new container objects (dicts, lists, instances)
that have not been freed yet, and at older ones every 10 and 100 of those rounds. A file import
keeps a batch of 500 orders alive while it routes and writes it - hundreds of thousands of row
dicts, views and routing problems - so the collector runs thousands of times per batch, and each
time walks objects that reference counting frees anyway the moment the batch is done (`py-spy`
charged 11 % of an import worker to the line that happened to allocate when it ran). With the
young generation's threshold at 100,000 an import of 29,448 orders ran 16-30 % faster
(docs/benchmarks.md, "Issue 13, ninth session"); garbage in reference cycles waits a little longer,
which costs a few MB at most.

The API's workers don't need it: a request makes few objects, and start-up's are frozen
(`api.app._freeze_start_up_heap`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BULK_YOUNG_THRESHOLD = 100_000

_lock = threading.Lock()
_holders = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def bulk_work() -> Iterator[None]:
    """Collect the young generation every 100,000 allocations instead of 700 while inside (the
    process's setting, restored when the last of overlapping callers leaves; processes forked
    meanwhile keep it)."""
    global _holders, _saved
    with _lock:
        if _holders == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(BULK_YOUNG_THRESHOLD, *_saved[1:])
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
