"""Prometheus metrics: what every process counts (request rate and latency per route, orders
placed, allocation failures, worker errors). Gauges read from the database at scrape time (outbox
lag) live with the /metrics endpoint (api/metrics.py).

Several processes (`conveyor serve --workers N`, the outbox workers on the same host) share one
view through prometheus_client's multiprocess mode: each process writes its samples to files in
`PROMETHEUS_MULTIPROC_DIR` and the scrape adds them up. The directory must be set *before*
prometheus_client is imported — `conveyor serve` and `conveyor worker` do that from
CONVEYOR_METRICS_DIR (shared/metrics_dir.py); docs/operations.md, "Metrics".
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("conveyor_http_requests", "HTTP requests answered, per route template and status",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("conveyor_http_request_duration_seconds", "Time to answer, per route template",
                         ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ORDERS_PLACED = Counter("conveyor_orders_placed", "Orders created (every source: API, channels, imports, POS)")
ALLOCATION_FAILURES = Counter("conveyor_allocation_failures",
                              "Orders that could not be allocated in full when placed", ["outcome"])
WORKER_ERRORS = Counter("conveyor_worker_errors", "Outbox messages whose handling failed", ["topic", "outcome"])

