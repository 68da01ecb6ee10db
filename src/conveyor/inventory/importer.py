"""Bulk stock import from CSV: `sku,location,on_hand[,safety_stock]`.

All or nothing: every row is checked first; if any is rejected, nothing is imported and each
rejected row is reported with its number and reason. Accepted files are applied in batches, each
an absolute count with ledger entries (reason `import`)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, update

from conveyor.catalog.service import stock_sku_ids
from conveyor.inventory.ledger import apply_changes
from conveyor.inventory.model import LedgerReason, Location, StockLevel
from conveyor.inventory.service import count_changes
from conveyor.shared import ids
from conveyor.shared.uow import UnitOfWork

REQUIRED = ("sku", "location", "on_hand")


@dataclass(slots=True)
class StockRow:
    line: int
    sku_id: str
    location_id: str
    on_hand: int
    safety_stock: int | None


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _int(value: str | None, name: str) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{name} cannot be negative")
    return number


def parse_rows(uow: UnitOfWork, lines: Iterable[str], report: ImportReport) -> list[StockRow]:
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        report.rejected.append((1, f"missing column(s): {', '.join(missing)}"))
        return []
    skus = stock_sku_ids(uow)
    locations = dict(uow.session.execute(select(Location.code, Location.id)).all())
    rows, seen = [], set()
    for number, raw in enumerate(reader, start=2):
        report.rows += 1
        try:
            sku, loc = skus.get((raw["sku"] or "").strip()), locations.get((raw["location"] or "").strip())
            if sku is None:
                raise ValueError(f"unknown SKU {raw['sku']!r}")
            if loc is None:
                raise ValueError(f"unknown location {raw['location']!r}")
            if (sku, loc) in seen:
                raise ValueError("this SKU and location appear twice in the file")
            seen.add((sku, loc))
            safety = raw.get("safety_stock")
            rows.append(StockRow(number, sku, loc, _int(raw["on_hand"], "on_hand"),
                                 _int(safety, "safety_stock") if safety not in (None, "") else None))
        except ValueError as exc:
            report.rejected.append((number, str(exc)))
    return rows


def import_stock(uow: UnitOfWork, lines: Iterable[str], actor: str,
                 progress: Callable[[int], None] | None = None, batch: int = 500) -> ImportReport:
    report = ImportReport()
    rows = parse_rows(uow, lines, report)
    if report.rejected:
        return report
    reference = ids.new_id("import")
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        counted = {(r.sku_id, r.location_id): r.on_hand for r in chunk}
        changes = count_changes(uow, counted, LedgerReason.IMPORT, reference)
        apply_changes(uow, changes, actor, create_missing=False)
        for r in chunk:
            if r.safety_stock is not None:
                uow.session.execute(update(StockLevel).where(StockLevel.sku_id == r.sku_id,
                                                             StockLevel.location_id == r.location_id)
                                    .values(safety_stock=r.safety_stock))
        report.imported += len(chunk)
        if progress:
            progress(len(chunk))
    return report
