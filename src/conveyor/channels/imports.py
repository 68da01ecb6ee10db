"""Order files (CSV / spreadsheet exports) into orders, for marketplaces without an API.

The channel's `config.csv_profile` maps our fields to the file's columns (DEFAULT_PROFILE when
unset). Parsing (`csv_import.parse_orders`) rejects bad rows and takes each order whole or not
at all. Placing is batched for speed: `batch` orders share one transaction and each order runs
in its own SAVEPOINT, so an order that is refused undoes only itself. `dry_run` runs everything
— stock checks included — and rolls back. The file itself is kept as an inbound payload.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from conveyor.bootstrap import Container
from conveyor.channels import intake
from conveyor.channels.bulk import LostRace, place_batch
from conveyor.channels.csv_import import KNOWN_FIELDS, RowError, parse_orders
from conveyor.channels.mappers.common import MappedOrder
from conveyor.channels.service import get_channel
from conveyor.channels.skumap import preloaded_lookup
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import DomainError

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


class _OrderUnit:
    """The unit of work one order sees inside a batch: commit releases its savepoint, rollback
    undoes only this order (and opens a fresh savepoint for a retry)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.db, self.session, self.write = uow.db, uow.session, True
        self._savepoint = self.session.begin_nested()

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def commit(self) -> None:
        if self._savepoint.is_active:
            self._savepoint.commit()

    def rollback(self) -> None:
        if self._savepoint.is_active:
            self._savepoint.rollback()
        self._savepoint = self.session.begin_nested()

    def abandon(self) -> None:
        if self._savepoint.is_active:
            self._savepoint.rollback()


def import_orders(c: Container, channel_code: str, lines: Iterable[str], raw: bytes | None = None, *,
                  dry_run: bool = False, batch: int = 500,
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    with c.reader() as uow:
        channel = get_channel(uow, channel_code)
        lookup = preloaded_lookup(uow, channel.id)
    config = channel.config or {}
    lines = iter(lines)
    header = next(lines, "")
    profile = config.get("csv_profile") or _default_profile(header, config.get("csv_delimiter", ","))
    parsed = parse_orders(itertools.chain([header], lines), profile, channel=channel.code,
                          default_currency=channel.currency, delimiter=config.get("csv_delimiter", ","),
                          decimal_separator=config.get("csv_decimal_separator", "."), sku_lookup=lookup)
    report = ImportReport(dry_run, len(parsed.orders) + len(parsed.rejected_order_ids), rejected_rows=parsed.rejected)
    if raw is not None and not dry_run:
        with c.uow() as uow:
            report.payload_id = intake.store_payload(uow, channel, raw, {"content-type": "text/csv"}, None,
                                                     source="csv").id
    for start in range(0, len(parsed.orders), batch):
        chunk = parsed.orders[start:start + batch]
        _place_chunk(c, channel, chunk, report, dry_run)
        if progress:
            progress(len(chunk))
    return report


def _place_chunk(c: Container, channel, chunk: list, report: ImportReport, dry_run: bool) -> None:
    """The fast path for a whole chunk; order by order when it lost a race for stock."""
    for cmd in chunk:
        intake.prepare(MappedOrder(order=cmd))
    try:
        with c.uow() as uow:
            done = place_batch(uow, chunk, channel, default_policy=c.settings.backorder_policy,
                               max_lines=c.settings.max_order_lines, actor=f"import:{channel.code}")
            uow.rollback() if dry_run else uow.commit()
    except (LostRace, IntegrityError):
        # Stock changed, or the same external id arrived through another path meanwhile.
        with c.uow() as uow:
            for cmd in chunk:
                _place_one(c, uow, cmd, channel.code, report)
            uow.rollback() if dry_run else uow.commit()
        return
    report.created += done.created
    report.held += done.held
    report.already_imported += done.existing
    report.refused_orders += done.refused


def _default_profile(header: str, delimiter: str) -> dict[str, str]:
    columns = {c.strip().lstrip("\ufeff") for c in next(csv.reader([header], delimiter=delimiter), [])}
    return {ours: theirs for ours, theirs in DEFAULT_PROFILE.items() if theirs in columns}


def _place_one(c: Container, uow: UnitOfWork, cmd, channel_code: str, report: ImportReport) -> None:
    unit = _OrderUnit(uow)
    try:
        result = intake.place_channel_order(unit, MappedOrder(order=cmd), default_policy=c.settings.backorder_policy,
                                            max_lines=c.settings.max_order_lines, actor=f"import:{channel_code}")
        unit.commit()
    except DomainError as exc:
        unit.abandon()
        report.refused_orders.append((cmd.external_id or "", exc.detail))
        return
    if not result.created:
        report.already_imported += 1
    elif result.order.hold_reason:
        report.held += 1
        report.created += 1
    else:
        report.created += 1
