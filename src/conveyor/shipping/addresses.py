"""Postal addresses as printed on labels, slips and manifests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    line2: str = ""
    region: str = ""  # state / province code
    company: str = ""
    phone: str = ""

    def lines(self) -> list[str]:
        """The address block, top to bottom, without empty lines. The last line is the country
        code: carriers want it on every label, domestic ones included."""
        city_line = " ".join(part for part in (self.city + ("," if self.region else ""), self.region,
                                               self.postal_code) if part)
        rows = [self.name, self.company, self.line1, self.line2, city_line, self.country]
        return [row for row in rows if row]
