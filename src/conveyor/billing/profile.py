"""Who issues the documents: the seller's name, address and tax id, its legal entity (each has its
own number series), the time zone its year runs in, and the number patterns.

One profile per installation, set from the settings when the container is built
(`conveyor.wiring.install`); documents keep a copy of the seller as it was when they were issued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.billing.invoices import Party
from conveyor.billing.numbering import DEFAULT_PATTERNS, DocumentKind, SeriesFormat


@dataclass(frozen=True, slots=True)
class SellerProfile:
    legal_entity: str = "default"
    name: str = "Conveyor Demo Store"
    address_lines: tuple[str, ...] = ()
    tax_id: str | None = None
    timezone: str = "UTC"
    patterns: dict[DocumentKind, str] = field(default_factory=lambda: dict(DEFAULT_PATTERNS))

    @property
    def seller(self) -> Party:
        return Party(self.name, self.address_lines, self.tax_id)

    def series(self, kind: DocumentKind) -> SeriesFormat:
        return SeriesFormat(self.patterns.get(kind, DEFAULT_PATTERNS[kind]))

    @classmethod
    def from_settings(cls, settings: Any) -> SellerProfile:
        address = tuple(part.strip() for part in settings.seller_address.split(";") if part.strip())
        return cls(
            legal_entity=settings.seller_legal_entity, name=settings.seller_name, address_lines=address,
            tax_id=settings.seller_tax_id or None, timezone=settings.seller_timezone,
            patterns={DocumentKind.INVOICE: settings.invoice_number_pattern,
                      DocumentKind.CREDIT_NOTE: settings.credit_note_number_pattern})


_current: list[SellerProfile] = [SellerProfile()]


def use(profile: SellerProfile) -> None:
    for kind in DocumentKind:
        profile.series(kind)  # refuse a bad pattern when configured, not when the first invoice is due
    _current[0] = profile


def current() -> SellerProfile:
    return _current[0]


def party_json(party: Party) -> dict[str, Any]:
    return {"name": party.name, "address_lines": list(party.address_lines), "tax_id": party.tax_id}


def party_of(data: dict[str, Any]) -> Party:
    return Party(str(data.get("name", "")), tuple(data.get("address_lines") or ()), data.get("tax_id"))
