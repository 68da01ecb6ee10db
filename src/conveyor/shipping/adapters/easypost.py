"""EasyPost, written against its documented REST API (v2), through an injectable httpx client.

Endpoints used (docs.easypost.com/docs/shipments, /docs/trackers, /docs/errors):
  POST /v2/shipments                          create a shipment; the response carries its rates
  POST /v2/shipments/{id}/buy                 buy one rate: tracking_code and postage_label
  GET  /v2/shipments/{id}/label?file_format=  convert the label (we ask for ZPL besides the PDF)
  POST /v2/shipments/{id}/refund              void an unused label (refund_status "submitted")
  POST /v2/trackers                           track any number (returns the Tracker and its details)
Authentication is HTTP Basic with the API key as user name and no password. EasyPost measures
parcels in inches and ounces; we convert from millimetres and grams (rounded up, so a parcel is
never declared lighter or smaller than it is). Label files are fetched from the URLs in the
postage label with the same client.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import Money, to_minor_rounded
from conveyor.shipping.adapters.base import CarrierRate, PurchasedLabel, ShipmentRequest, VoidResult
from conveyor.shipping.addresses import Address
from conveyor.shipping.tracking_events import EASYPOST_STATUS, TrackingEvent, parse_timestamp

API_BASE = "https://api.easypost.com/v2"
GRAMS_PER_OUNCE = 28.349523125
MM_PER_INCH = 25.4
# EasyPost carrier names → ours (anything else is kept, lower-cased).
CARRIER_CODES = {"ups": "ups", "upsdap": "ups", "fedex": "fedex", "fedexdefault": "fedex", "usps": "usps",
                 "dhlexpress": "dhl", "dhl express": "dhl"}
OUR_CARRIER_NAMES = {"ups": "UPS", "fedex": "FedEx", "usps": "USPS", "dhl": "DHLExpress"}


class EasyPostError(DomainError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(ErrorCode.CARRIER_ERROR, f"EasyPost {code}: {message}", provider="easypost",
                         status=status, provider_code=code)
        self.status = status


def carrier_code(easypost_name: str) -> str:
    key = (easypost_name or "").lower()
    return CARRIER_CODES.get(key, key)


def _address(address: Address) -> dict[str, str]:
    return {"name": address.name, "company": address.company, "street1": address.line1, "street2": address.line2,
            "city": address.city, "state": address.region, "zip": address.postal_code, "country": address.country,
            "phone": address.phone}


def _parcel(shipment: ShipmentRequest) -> dict[str, float]:
    p = shipment.parcel
    parcel = {"weight": math.ceil(p.weight_grams / GRAMS_PER_OUNCE * 10) / 10}
    if p.length_mm and p.width_mm and p.height_mm:
        for key, mm in (("length", p.length_mm), ("width", p.width_mm), ("height", p.height_mm)):
            parcel[key] = math.ceil(mm / MM_PER_INCH * 100) / 100
    return parcel


def _money(amount: str | None, currency: str | None) -> Money:
    code = currency or "USD"
    return Money(to_minor_rounded(Decimal(amount or "0"), code), code)


def _date(value: str | None) -> date | None:
    return parse_timestamp(value).date() if value else None


class EasyPostAdapter:
    name = "easypost"

    def __init__(self, api_key: str, client: httpx.Client | None = None, base_url: str = API_BASE,
                 want_zpl: bool = True) -> None:
        # Tests pass a client built on httpx.MockTransport; production a plain client with timeouts.
        self.client = client or httpx.Client(timeout=httpx.Timeout(20.0, connect=5.0))
        self.auth = httpx.BasicAuth(api_key, "")
        self.base_url = base_url.rstrip("/")
        self.want_zpl = want_zpl

    # --- HTTP ---------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = self.client.request(method, f"{self.base_url}{path}", json=body, params=params, auth=self.auth)
        except httpx.HTTPError as exc:
            raise EasyPostError(0, "NETWORK", str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise _error(response)
        data: dict[str, Any] = response.json()
        return data

    def _download(self, url: str) -> bytes:
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise EasyPostError(0, "LABEL_DOWNLOAD", str(exc)) from exc
        if response.status_code >= 400:
            raise EasyPostError(response.status_code, "LABEL_DOWNLOAD", f"could not fetch {url}")
        return response.content

    # --- the interface --------------------------------------------------------------------------------

    def rates(self, shipment: ShipmentRequest) -> list[CarrierRate]:
        to_address: dict[str, Any] = _address(shipment.ship_to)
        if shipment.residential:
            to_address["residential"] = True
        body = {"shipment": {"from_address": _address(shipment.ship_from), "to_address": to_address,
                             "parcel": _parcel(shipment), "reference": shipment.reference or None,
                             "options": {"label_format": "PDF", "label_size": "4x6"}}}
        created = self._call("POST", "/shipments", body)
        rates = [self._rate(r, created["id"]) for r in created.get("rates") or []]
        return sorted(rates, key=lambda r: (r.price.currency, r.price.minor, r.delivery_days or 99))

    def _rate(self, data: dict[str, Any], shipment_id: str) -> CarrierRate:
        days = data.get("delivery_days") or data.get("est_delivery_days")
        return CarrierRate(self.name, data["id"], carrier_code(data.get("carrier", "")), data.get("service", ""),
                           _money(data.get("rate"), data.get("currency")), days, _date(data.get("delivery_date")),
                           shipment_ref=data.get("shipment_id") or shipment_id)

    def buy(self, shipment: ShipmentRequest, rate: CarrierRate) -> PurchasedLabel:
        if not rate.shipment_ref:
            raise EasyPostError(0, "NO_SHIPMENT", "the rate does not belong to an EasyPost shipment")
        bought = self._call("POST", f"/shipments/{rate.shipment_ref}/buy", {"rate": {"id": rate.rate_id}})
        label = bought.get("postage_label") or {}
        pdf_url = label.get("label_pdf_url") or label.get("label_url")
        if not bought.get("tracking_code") or not pdf_url:
            raise EasyPostError(0, "NO_LABEL", "the purchase returned no tracking code or label")
        zpl = None
        if self.want_zpl:
            converted = self._call("GET", f"/shipments/{bought['id']}/label", params={"file_format": "ZPL"})
            zpl_url = (converted.get("postage_label") or {}).get("label_zpl_url")
            zpl = self._download(zpl_url).decode("utf-8") if zpl_url else None
        selected = bought.get("selected_rate") or {}
        return PurchasedLabel(self.name, bought["tracking_code"], carrier_code(selected.get("carrier", rate.carrier)),
                              selected.get("service", rate.service),
                              _money(selected.get("rate"), selected.get("currency")) if selected else rate.price,
                              self._download(pdf_url), zpl, bought["id"])

    def void(self, label: PurchasedLabel) -> VoidResult:
        try:
            refunded = self._call("POST", f"/shipments/{label.provider_ref}/refund")
        except EasyPostError as exc:
            if 400 <= exc.status < 500:  # e.g. already used or already refunded: a "no", not a failure
                return VoidResult(False, "rejected", exc.detail)
            raise
        status = refunded.get("refund_status") or "submitted"
        return VoidResult(status in ("submitted", "refunded"), status)

    def track(self, tracking_number: str, carrier: str | None = None) -> list[TrackingEvent]:
        body: dict[str, Any] = {"tracking_code": tracking_number}
        if carrier:
            body["carrier"] = OUR_CARRIER_NAMES.get(carrier, carrier)
        return events_from_tracker(self._call("POST", "/trackers", {"tracker": body}))


def events_from_tracker(tracker: dict[str, Any]) -> list[TrackingEvent]:
    """A Tracker object's tracking_details as canonical events, oldest first."""
    number = tracker.get("tracking_code", "")
    carrier = carrier_code(tracker.get("carrier", "")) or None
    events = []
    for detail in tracker.get("tracking_details") or []:
        where = detail.get("tracking_location") or {}
        raw = detail.get("status") or "unknown"
        events.append(TrackingEvent(
            number, EASYPOST_STATUS.get(raw, "unknown"), parse_timestamp(detail["datetime"]),
            detail.get("message") or "", carrier, where.get("city") or "", where.get("state") or "",
            where.get("zip") or "", (where.get("country") or "").upper(), raw, "easypost"))
    return sorted(events, key=lambda e: e.occurred_at)


def events_from_webhook(payload: dict[str, Any]) -> list[TrackingEvent]:
    """A webhook Event ("tracker.created" / "tracker.updated"): its result is the Tracker.
    Other event types carry no tracking and give no events."""
    if payload.get("object") != "Event" or not str(payload.get("description", "")).startswith("tracker."):
        return []
    return events_from_tracker(payload.get("result") or {})


def _error(response: httpx.Response) -> EasyPostError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    return EasyPostError(response.status_code, error.get("code") or f"HTTP_{response.status_code}",
                         error.get("message") or response.reason_phrase)
