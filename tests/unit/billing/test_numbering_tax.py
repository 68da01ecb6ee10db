"""Series numbers format and parse back; the year is the legal entity's; gaps are found. Tax per
rate adds up, and shipping is taxed per policy."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conveyor.billing.numbering import (
    DEFAULT_PATTERNS,
    DocumentKind,
    SeriesFormat,
    issue_year,
    missing_numbers,
    series_key,
)
from conveyor.billing.tax import ShippingTax, TaxLine, shipping_tax_lines, tax_in_gross, tax_on_net, tax_per_rate
from conveyor.shared.errors import DomainError, ErrorCode

INVOICES = SeriesFormat(DEFAULT_PATTERNS[DocumentKind.INVOICE])


def test_default_invoice_numbers_format_and_parse_back():
    number = INVOICES.format(42, year=2026)
    assert number == "INV-2026-000042"
    parsed = INVOICES.parse(number)
    assert (parsed.seq, parsed.year) == (42, 2026)
    assert INVOICES.parse("INV-2026-1234567").seq == 1_234_567  # the width is a minimum, not a limit


def test_custom_pattern_with_entity():
    series = SeriesFormat("{entity}/CN/{year}/{seq}")
    number = series.format(7, year=2027, entity="ACME-DE")
    assert number == "ACME-DE/CN/2027/7"
    parsed = series.parse(number)
    assert (parsed.entity, parsed.year, parsed.seq) == ("ACME-DE", 2027, 7)
    assert not SeriesFormat("R{seq:05d}").yearly and series.yearly


@pytest.mark.parametrize("pattern", ["INV-{year}", "{seq}-{seq}", "{seq}-{customer}", "{seq:>8}"])
def test_bad_patterns_are_refused(pattern):
    with pytest.raises(DomainError) as refused:
        SeriesFormat(pattern)
    assert refused.value.code is ErrorCode.INVALID_DOCUMENT_NUMBER


def test_foreign_numbers_and_zero_are_refused():
    with pytest.raises(DomainError):
        INVOICES.parse("CN-2026-000001")
    with pytest.raises(DomainError):
        INVOICES.format(0, year=2026)


def test_the_year_is_where_the_legal_entity_is():
    new_years_eve_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert issue_year(new_years_eve_utc, "Europe/Berlin") == 2027
    assert issue_year(new_years_eve_utc, "America/New_York") == 2026
    key = series_key(DocumentKind.CREDIT_NOTE, "acme-de", new_years_eve_utc, "Europe/Berlin", INVOICES)
    assert key.key == "credit_note:acme-de:2027"
    forever = series_key(DocumentKind.INVOICE, "acme", new_years_eve_utc, "UTC", SeriesFormat("R{seq}"))
    assert forever.key == "invoice:acme:all"


def test_missing_numbers_finds_gaps():
    assert missing_numbers([1, 2, 3]) == [] and missing_numbers([]) == []
    assert missing_numbers([3, 1, 5]) == [2, 4]


def test_tax_rounding_half_even():
    assert tax_on_net(1_000, Decimal(19)) == 190
    assert tax_on_net(250, Decimal("7")) == 18  # 17.5 → 18 (even)
    assert tax_on_net(450, Decimal("5")) == 22  # 22.5 → 22 (even)
    assert tax_in_gross(11_900, Decimal(19)) == 1_900


def test_tax_per_rate_groups_and_sorts():
    lines = [TaxLine(Decimal("19"), 1_000, 190), TaxLine(Decimal("7.0"), 500, 35), TaxLine(Decimal("19.00"), 300, 57)]
    grouped = tax_per_rate(lines)
    assert [(str(t.rate), t.net, t.tax) for t in grouped] == [("19", 1_300, 247), ("7", 500, 35)]
    assert sum(t.gross for t in grouped) == sum(t.gross for t in lines)


GOODS = [TaxLine(Decimal(19), 3_000, 570), TaxLine(Decimal(7), 1_000, 70)]


def test_shipping_follows_the_goods_proportionally():
    lines = shipping_tax_lines(500, GOODS, ShippingTax.PROPORTIONAL)
    assert [(t.rate, t.net, t.tax) for t in lines] == [(Decimal(19), 375, 71), (Decimal(7), 125, 9)]


def test_shipping_policies():
    assert shipping_tax_lines(500, GOODS, ShippingTax.NOT_TAXED) == [TaxLine(Decimal(0), 500, 0)]
    assert shipping_tax_lines(500, GOODS, ShippingTax.HIGHEST_RATE) == [TaxLine(Decimal(19), 500, 95)]
    fixed = shipping_tax_lines(595, GOODS, ShippingTax.FIXED_RATE, shipping_rate=Decimal(19), prices_include_tax=True)
    assert fixed == [TaxLine(Decimal(19), 500, 95)]
    assert shipping_tax_lines(0, GOODS, ShippingTax.PROPORTIONAL) == []
