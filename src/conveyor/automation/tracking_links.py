"""The customer's tracking link for a shipment: the carrier's public tracking page, or the shop's
own template (`CONVEYOR_TRACKING_URL_TEMPLATE`), or the shop's home page when neither is known.
Pure: no database."""

from __future__ import annotations

from urllib.parse import quote

# The carriers' public tracking pages (as linked from their own sites), by carrier code.
CARRIER_PAGES = {
    "ups": "https://www.ups.com/track?tracknum={tracking_number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={tracking_number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={tracking_number}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={tracking_number}",
    "dhl_paket": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={tracking_number}",
    "royal_mail": "https://www.royalmail.com/track-your-item#/tracking-results/{tracking_number}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{tracking_number}",
}


def tracking_url(carrier: str, tracking_number: str, template: str = "", fallback: str = "") -> str:
    """The link for this parcel. `template` (the shop's own tracking page) wins over the
    carrier's; without either, `fallback` (the shop's URL)."""
    number = quote(tracking_number.strip(), safe="")
    code = carrier.strip().lower().replace(" ", "_").replace("-", "_")
    chosen = template or CARRIER_PAGES.get(code, "")
    if not chosen or not number:
        return fallback
    return chosen.replace("{carrier}", quote(code, safe="")).replace("{tracking_number}", number)
