"""Order files (CSV) → `PlaceOrder`s. Pure: text in, orders and row errors out.

A profile maps our field names to the file's column names, e.g.
`{"external_id": "Order Number", "sku": "SKU", "quantity": "Qty", "unit_price": "Price"}`.
Rows sharing an external id form one order (they need not be adjacent). An order is taken
whole or not at all: one bad row rejects every row of its order, because a partial order
would ship the wrong goods. Row numbers are the file's line numbers (the header is row 1), as
a spreadsheet shows them.

Speed matters (merchants upload 100k-row files), so the hot loop avoids Decimal and regex
per field where it can: amounts are split on the decimal point and scaled with integers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conveyor.channels.mappers.common import SkuLookup
from conveyor.orders.commands import Address, LineInput, PlaceOrder
from conveyor.shared.errors import DomainError, ValidationFailed
from conveyor.shared.money import exponent

REQUIRED = ("external_id", "sku", "quantity")
LINE_FIELDS = ("sku", "quantity", "unit_price", "line_discount", "tax", "name")
ORDER_FIELDS = (
    "currency", "customer_name", "customer_email", "customer_phone", "shipping", "order_discount", "notes",
    "ship_name", "ship_company", "ship_line1", "ship_line2", "ship_city", "ship_region",
    "ship_postal_code", "ship_country", "ship_phone", "language",
)  # fmt: skip
KNOWN_FIELDS = frozenset(("external_id", *LINE_FIELDS, *ORDER_FIELDS))
_AMOUNT = re.compile(r"(\d*)(?:\.(\d*))?")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    external_id: str | None
    reason: str


@dataclass(slots=True)
class CsvImportResult:
    orders: list[PlaceOrder]
    rejected: list[RowError]
    rejected_order_ids: list[str] = field(default_factory=list)


class _RowProblem(Exception):
    """A reason a row cannot be used; caught per row, never escapes the parser."""


@dataclass(slots=True)
class _Draft:
    first_row: int
    values: dict[str, str]
    lines: list[LineInput] = field(default_factory=list)
    bad: bool = False


def parse_orders(
    lines: Iterable[str],
    profile: Mapping[str, str],
    *,
    channel: str,
    default_currency: str | None = None,
    delimiter: str = ",",
    decimal_separator: str = ".",
    sku_lookup: SkuLookup | None = None,
) -> CsvImportResult:
    """Parse an order file given as lines (a text file object works: open it with newline="").

    Raises `ValidationFailed` only for whole-file problems (profile names a missing column,
    a required field is unmapped); everything about single rows lands in `rejected`."""
    reader = csv.reader(lines, delimiter=delimiter)
    columns = _columns(next(reader, []), profile)
    parser = _RowParser(columns, default_currency, decimal_separator)
    drafts: dict[str, _Draft] = {}
    errors: list[RowError] = []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        _take_row(parser, row, reader.line_num, drafts, errors)
    return _result(drafts, errors, channel, sku_lookup)


def _columns(header: list[str], profile: Mapping[str, str]) -> dict[str, int]:
    """Our field → column index, checking the profile against the header once."""
    names = [h.strip().lstrip("\ufeff") for h in header]
    missing_fields = [f for f in REQUIRED if f not in profile]
    unknown = sorted(set(profile) - KNOWN_FIELDS)
    absent = [col for col in profile.values() if col not in names]
    if missing_fields or unknown or absent:
        raise ValidationFailed(
            "CSV profile does not fit the file",
            missing_fields=missing_fields, unknown_fields=unknown, missing_columns=absent,
        )  # fmt: skip
    return {ours: names.index(theirs) for ours, theirs in profile.items()}


def _take_row(
    parser: _RowParser, row: list[str], number: int, drafts: dict[str, _Draft], errors: list[RowError]
) -> None:
    external_id = parser.cell(row, "external_id")
    if not external_id:
        errors.append(RowError(number, None, "missing external_id"))
        return
    draft = drafts.get(external_id)
    try:
        values = parser.order_values(row)
        if draft is None:
            draft = drafts[external_id] = _Draft(number, values)
        else:
            _merge(draft.values, values)
        draft.lines.append(parser.line(row, draft.values.get("currency", "")))
    except _RowProblem as problem:
        if draft is None:
            draft = drafts[external_id] = _Draft(number, {}, bad=True)
        draft.bad = True
        errors.append(RowError(number, external_id, str(problem)))


def _merge(known: dict[str, str], values: dict[str, str]) -> None:
    """Order-level cells may repeat on every row or only on the first; they may not disagree."""
    for name, value in values.items():
        if not value:
            continue
        if known.get(name) and known[name] != value:
            raise _RowProblem(
                f"{name} {value!r} differs from {known[name]!r} on an earlier row of this order"
            )
        known[name] = value


class _RowParser:
    def __init__(self, columns: dict[str, int], default_currency: str | None, decimal_separator: str) -> None:
        self.columns = columns
        self.width = max(columns.values()) + 1
        self.order_fields = [(f, columns[f]) for f in ORDER_FIELDS if f in columns]
        self.default_currency = default_currency or ""
        self.separator = decimal_separator
        self._digits: dict[str, int] = {}

    def cell(self, row: list[str], name: str) -> str:
        index = self.columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    def order_values(self, row: list[str]) -> dict[str, str]:
        if len(row) < self.width:
            raise _RowProblem(f"row has {len(row)} columns, the profile needs {self.width}")
        values = {name: row[index].strip() for name, index in self.order_fields}
        values["currency"] = (values.get("currency") or self.default_currency).upper()
        digits = self.digits(values["currency"])  # reject unknown currencies on the row naming them
        for name in ("shipping", "order_discount"):
            if values.get(name):
                # Stored as minor units so "5.0" and "5.00" on two rows do not count as a conflict.
                values[name] = str(parse_amount(values[name], digits, self.separator, name))
        return values

    def line(self, row: list[str], currency: str) -> LineInput:
        digits = self.digits(currency)
        sku = self.cell(row, "sku")
        if not sku:
            raise _RowProblem("missing sku")
        return LineInput(
            sku=sku,
            quantity=self.quantity(self.cell(row, "quantity")),
            unit_price_minor=self.amount(row, "unit_price", digits),
            discount_minor=self.amount(row, "line_discount", digits),
            tax_minor=self.amount(row, "tax", digits),
            name=self.cell(row, "name"),
        )

    def digits(self, currency: str) -> int:
        if currency not in self._digits:
            if not currency:
                raise _RowProblem("no currency: map a currency column or pass default_currency")
            try:
                self._digits[currency] = exponent(currency)
            except DomainError as exc:
                raise _RowProblem(f"unknown currency {currency!r}") from exc
        return self._digits[currency]

    @staticmethod
    def quantity(text: str) -> int:
        if not text.isdigit() or int(text) <= 0:
            raise _RowProblem(f"quantity {text!r} is not a positive whole number")
        return int(text)

    def amount(self, row: list[str], name: str, digits: int) -> int:
        return parse_amount(self.cell(row, name), digits, self.separator, name)


def parse_amount(text: str, digits: int, separator: str = ".", name: str = "amount") -> int:
    """ "12.50" → 1250 for a 2-digit currency; empty → 0; negatives and excess digits refused."""
    if not text:
        return 0
    if separator != ".":
        text = text.replace(separator, ".")
    match = _AMOUNT.fullmatch(text)
    if match is None or not (match.group(1) or match.group(2)):
        raise _RowProblem(f"{name} {text!r} is not a decimal amount")
    whole, frac = match.group(1) or "0", match.group(2) or ""
    if len(frac) > digits:
        if frac[digits:].strip("0"):
            raise _RowProblem(f"{name} {text!r} has more than {digits} decimals")
        frac = frac[:digits]
    return int(whole) * 10**digits + (int(frac.ljust(digits, "0")) if digits else 0)


def _result(
    drafts: dict[str, _Draft], errors: list[RowError], channel: str, lookup: SkuLookup | None
) -> CsvImportResult:
    orders, rejected_ids = [], []
    for external_id, draft in drafts.items():
        if draft.bad:
            rejected_ids.append(external_id)
        else:
            orders.append(_order(external_id, draft, channel, lookup))
    errors.sort(key=lambda e: e.row)
    return CsvImportResult(orders, errors, rejected_ids)


def _order(external_id: str, draft: _Draft, channel: str, lookup: SkuLookup | None) -> PlaceOrder:
    values = draft.values
    order = PlaceOrder(
        channel=channel,
        currency=values["currency"],
        lines=draft.lines,
        external_id=external_id,
        customer_name=values.get("customer_name", ""),
        customer_email=values.get("customer_email", ""),
        customer_phone=values.get("customer_phone", ""),
        shipping_address=_address(values),
        shipping_minor=int(values.get("shipping") or 0),
        order_discount_minor=int(values.get("order_discount") or 0),
        notes=values.get("notes", ""),
        locale=values.get("language", ""),  # "de", "fr-CA": stored as shared.languages.order_language says
    )
    if lookup is not None:
        _map_skus(order, lookup)
    return order


def _map_skus(order: PlaceOrder, lookup: SkuLookup) -> None:
    """Files may use channel SKUs; unmapped ones keep the order but put it on hold."""
    unmapped = []
    for line in order.lines:
        mapped = lookup(line.sku)
        if mapped:
            line.sku = mapped
        else:
            unmapped.append(line.sku)
    if unmapped:
        order.hold_reason = "unmapped_sku: " + ", ".join(dict.fromkeys(unmapped))


def _address(values: dict[str, str]) -> Address | None:
    parts: dict[str, Any] = {k.removeprefix("ship_"): v for k, v in values.items() if k.startswith("ship_")}
    return Address(**parts) if any(parts.values()) else None
