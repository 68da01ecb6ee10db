"""Where the processes of one host put their Prometheus samples (multiprocess mode). Kept apart
from shared/metrics.py on purpose: prometheus_client decides at import whether it runs in
multiprocess mode, so this must run before anything imports it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(directory: str, fresh: bool) -> str:
    """Point prometheus_client at `directory` for this process and the ones it starts. `fresh`
    empties it first: the server does so at start, as samples of a previous run would add up."""
    path = Path(directory)
    if fresh and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return str(path)
