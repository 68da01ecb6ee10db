"""Order files (CSV / spreadsheet exports) into orders, for marketplaces without an API.

The channel's `config.csv_profile` maps our fields to the file's columns (DEFAULT_PROFILE when
unset). Parsing (`csv_import.parse_orders`) rejects bad rows and takes each order whole or not
at all. Placing is batched for speed: `batch` orders go through the placement engine together in
one transaction (`channels.handlers.import_chunk`); a refused order is reported and the others
are placed. `dry_run` runs everything — stock checks included — and commits nothing. The file
itself is kept as an inbound payload.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from conveyor.bootstrap import Container
from conveyor.channels import handlers
from conveyor.channels.csv_import import KNOWN_FIELDS, RowError, parse_orders
from conveyor.channels.service import ChannelInfo, get_channel
from conveyor.channels.skumap import preloaded_lookup
from conveyor.orders.commands import PlaceOrder

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
                  progress: Callable[[int], None] | None = None) -> ImportReport:
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
    for start in range(0, len(parsed.orders), batch):
        chunk = parsed.orders[start:start + batch]
        _place_chunk(c, channel, chunk, report, dry_run)
        if progress:
            progress(len(chunk))
    return report


def _place_chunk(c: Container, channel: ChannelInfo, chunk: list[PlaceOrder], report: ImportReport,
                 dry_run: bool) -> None:
    for result in handlers.import_chunk(c, channel.code, chunk, dry_run):
        if result.refused is not None:
            report.refused_orders.append((result.external_id or "", result.refused))
        elif not result.created:
            report.already_imported += 1
        else:
            report.created += 1
            report.held += bool(result.order.hold_reason)


def _default_profile(header: str, delimiter: str) -> dict[str, str]:
    columns = {c.strip().lstrip("\ufeff") for c in next(csv.reader([header], delimiter=delimiter), [])}
    return {ours: theirs for ours, theirs in DEFAULT_PROFILE.items() if theirs in columns}
