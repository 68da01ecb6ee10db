"""Invoice and credit-note numbers: series formats, formatting and parsing.

A series is one counter per (document kind, legal entity, year); the number's year is the issue
date's year where the legal entity is (an invoice issued at 23:30 UTC on 31 December in Auckland
belongs to the next year). The counter itself is the lead's: a locked row per `SeriesKey.key`,
incremented in the issuing transaction, which is what keeps the series gap-free under concurrency.

Patterns use `{seq}` (required, with an optional width such as `{seq:06d}`), `{year}` and `{entity}`:
    INV-{year}-{seq:06d}   →  INV-2026-000042
    {entity}/CN/{year}/{seq}  →  ACME-DE/CN/2026/7
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from conveyor.shared.errors import ErrorCode, ValidationFailed


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


DEFAULT_PATTERNS = {
    DocumentKind.INVOICE: "INV-{year}-{seq:06d}",
    DocumentKind.CREDIT_NOTE: "CN-{year}-{seq:06d}",
}

_FIELDS = {"seq", "year", "entity"}
_SEQ_SPEC = re.compile(r"^(0?\d*)d?$")


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    seq: int
    year: int | None
    entity: str | None


@dataclass(frozen=True, slots=True)
class SeriesFormat:
    pattern: str

    def __post_init__(self) -> None:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(self.pattern) if name is not None]
        names = [name for name, _ in fields]
        unknown = set(names) - _FIELDS
        if unknown or names.count("seq") != 1 or len(names) != len(set(names)):
            raise ValidationFailed(
                f"series pattern {self.pattern!r} needs exactly one {{seq}} and may use "
                "{year} and {entity} once each",
                ErrorCode.INVALID_DOCUMENT_NUMBER,
            )
        if any(name == "seq" and not _SEQ_SPEC.match(spec or "") for name, spec in fields):
            raise ValidationFailed(
                f"{{seq}} in {self.pattern!r} takes only a width such as :06d", ErrorCode.INVALID_DOCUMENT_NUMBER
            )

    @property
    def yearly(self) -> bool:
        """Whether the series starts again each year (its numbers carry the year)."""
        return "{year" in self.pattern

    def format(self, seq: int, *, year: int, entity: str = "") -> str:
        if seq < 1:
            raise ValidationFailed(f"sequence numbers start at 1, not {seq}", ErrorCode.INVALID_DOCUMENT_NUMBER)
        return self.pattern.format(seq=seq, year=year, entity=entity)

    def parse(self, number: str) -> ParsedNumber:
        match = self._regex().fullmatch(number)
        if match is None:
            raise ValidationFailed(
                f"{number!r} does not match the series {self.pattern!r}", ErrorCode.INVALID_DOCUMENT_NUMBER
            )
        groups = match.groupdict()
        year = groups.get("year")
        return ParsedNumber(int(groups["seq"]), int(year) if year else None, groups.get("entity"))

    def _regex(self) -> re.Pattern[str]:
        parts = []
        for literal, name, _spec, _conv in string.Formatter().parse(self.pattern):
            parts.append(re.escape(literal))
            if name == "seq":
                parts.append(r"(?P<seq>\d+)")
            elif name == "year":
                parts.append(r"(?P<year>\d{4})")
            elif name == "entity":
                parts.append(r"(?P<entity>.+?)")
        return re.compile("".join(parts))


@dataclass(frozen=True, slots=True)
class SeriesKey:
    kind: DocumentKind
    legal_entity: str
    year: int | None

    @property
    def key(self) -> str:
        """The counter row's key, e.g. ``invoice:acme-de:2026``."""
        return f"{self.kind.value}:{self.legal_entity}:{self.year if self.year is not None else 'all'}"


def issue_year(issued_at: datetime, timezone: str) -> int:
    """The year of the issue date where the legal entity is."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    return issued_at.astimezone(ZoneInfo(timezone)).year


def series_key(
    kind: DocumentKind, legal_entity: str, issued_at: datetime, timezone: str, series: SeriesFormat
) -> SeriesKey:
    return SeriesKey(kind, legal_entity, issue_year(issued_at, timezone) if series.yearly else None)


def missing_numbers(sequence_numbers: Iterable[int]) -> list[int]:
    """The gaps in a series (1 … highest) — what an audit of a gap-free series must find empty."""
    seen = set(sequence_numbers)
    return [n for n in range(1, max(seen, default=0) + 1) if n not in seen]
