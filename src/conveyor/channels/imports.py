"""Order files (CSV / spreadsheet exports) into orders, for marketplaces without an API.

The channel's `config.csv_profile` maps our fields to the file's columns (DEFAULT_PROFILE when
unset). Parsing (`csv_import.parse_orders`) rejects bad rows and takes each order whole or not
at all. Placing is batched for speed: `batch` orders go through the placement engine together in
one transaction (`channels.handlers.import_chunk`); a refused order is reported and the others
are placed. `dry_run` runs everything — stock checks included — and commits nothing. The file
itself is kept as an inbound payload.

`workers` > 1 places the chunks in that many forked processes side by side (the CLI's
`conveyor import orders --workers N`): each chunk is still the one `import_chunk` handler, which
routes in a read transaction and writes in a short write transaction, so one process routes while
another writes (SQLite takes one writer at a time) and stock is taken by the same guarded update.
Results are reported in file order. Forking is for a process of its own (the CLI), not a server.
"""

from __future__ import annotations

import csv
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from conveyor.bootstrap import Container
from conveyor.channels import handlers
from conveyor.channels.csv_import import KNOWN_FIELDS, RowError, parse_orders
from conveyor.channels.service import ChannelInfo, get_channel
from conveyor.channels.skumap import preloaded_lookup
from conveyor.orders.commands import PlaceOrder
from conveyor.shared.collector import bulk_work

# Without a profile, a column named like one of our fields is that field (order_id for the id).
DEFAULT_PROFILE = {"external_id": "order_id", **{name: name for name in sorted(KNOWN_FIELDS - {"external_id"})}}


@dataclass(slots=True)
class ImportReport:
    dry_run: bool
    orders_in_file: int = 0
    created: int = 0
    already_imported: int = 0
    held: int = 0
    rejected_rows: list[RowError] = field(default_factory=list)
    refused_orders: list[tuple[str, str]] = field(default_factory=list)  # (external id, why)
    payload_id: str | None = None


def import_orders(c: Container, channel_code: str, lines: Iterable[str], raw: bytes | None = None, *,
                  dry_run: bool = False, batch: int = 500,
                  progress: Callable[[int], None] | None = None, workers: int = 1) -> ImportReport:
    with bulk_work():  # parsing and placing keep whole batches alive: the collector runs rarely
        return _import(c, channel_code, lines, raw, dry_run, batch, progress, workers)


def _import(c: Container, channel_code: str, lines: Iterable[str], raw: bytes | None, dry_run: bool, batch: int,
            progress: Callable[[int], None] | None, workers: int) -> ImportReport:
    with c.reader() as uow:
        channel = ChannelInfo.of(get_channel(uow, channel_code))
        lookup = preloaded_lookup(uow, channel.id)
    config = channel.config
    lines = iter(lines)
    header = next(lines, "")
    profile = config.get("csv_profile") or _default_profile(header, config.get("csv_delimiter", ","))
    parsed = parse_orders(itertools.chain([header], lines), profile, channel=channel.code,
                          default_currency=channel.currency, delimiter=config.get("csv_delimiter", ","),
                          decimal_separator=config.get("csv_decimal_separator", "."), sku_lookup=lookup)
    report = ImportReport(dry_run, len(parsed.orders) + len(parsed.rejected_order_ids), rejected_rows=parsed.rejected)
    if raw is not None and not dry_run:
        report.payload_id = handlers.store_payload(c, channel, raw, {"content-type": "text/csv"}, None,
                                                   source="csv").id
    chunks = [parsed.orders[start:start + batch] for start in range(0, len(parsed.orders), batch)]
    for outcomes in _placed(c, channel.code, chunks, dry_run, workers):
        _tally(report, outcomes)
        if progress:
            progress(len(outcomes))
    return report


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What became of one order of the file (small: it crosses from a worker process)."""
    external_id: str | None
    created: bool
    held: bool
    refused: str | None


def _placed(c: Container, channel_code: str, chunks: list[list[PlaceOrder]], dry_run: bool,
            workers: int) -> Iterator[list[_Outcome]]:
    """The outcomes of each chunk, in file order."""
    forking = "fork" in multiprocessing.get_all_start_methods()  # not on Windows: one process there
    if workers <= 1 or len(chunks) < 2 or dry_run or not forking:  # (a dry run writes nothing to overlap)
        for chunk in chunks:
            yield _place_chunk(c, channel_code, chunk, dry_run)
        return
    context = multiprocessing.get_context("fork")  # the app is imported already: workers start at once
    with context.Pool(min(workers, len(chunks)), initializer=_start_worker, initargs=(c,)) as pool:
        yield from pool.imap(_place_in_worker, [(channel_code, chunk) for chunk in chunks])


def _place_chunk(c: Container, channel_code: str, chunk: list[PlaceOrder], dry_run: bool) -> list[_Outcome]:
    return [_Outcome(r.external_id, r.created, r.created and bool(r.order.hold_reason), r.refused)
            for r in handlers.import_chunk(c, channel_code, chunk, dry_run)]


_worker_container: Container | None = None


def _start_worker(parent: Container) -> None:
    """In a forked worker: the parent's pooled connections stay the parent's (SQLAlchemy's advice
    for forks: drop them from the pool without closing them); this process opens its own."""
    global _worker_container
    parent.db.engine.dispose(close=False)
    _worker_container = parent


def _place_in_worker(job: tuple[str, list[PlaceOrder]]) -> list[_Outcome]:
    assert _worker_container is not None
    channel_code, chunk = job
    return _place_chunk(_worker_container, channel_code, chunk, dry_run=False)


def _tally(report: ImportReport, outcomes: list[_Outcome]) -> None:
    for outcome in outcomes:
        if outcome.refused is not None:
            report.refused_orders.append((outcome.external_id or "", outcome.refused))
        elif not outcome.created:
            report.already_imported += 1
        else:
            report.created += 1
            report.held += outcome.held


def _default_profile(header: str, delimiter: str) -> dict[str, str]:
    columns = {c.strip().lstrip("\ufeff") for c in next(csv.reader([header], delimiter=delimiter), [])}
    return {ours: theirs for ours, theirs in DEFAULT_PROFILE.items() if theirs in columns}
