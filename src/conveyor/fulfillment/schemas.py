"""Request bodies of the fulfilment and shipping endpoints (unknown fields are refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from conveyor.api.schemas import Code, Patch, ShortText, Strict

Grams = Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
Millimetres = Annotated[int, Field(ge=1, le=10_000, strict=True)]
Units = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
Reason = Annotated[str, Field(min_length=1, max_length=300)]


class OpenIn(Strict):
    order_id: Annotated[str, Field(min_length=1, max_length=40)]


class ReasonIn(Strict):
    reason: Reason


class NoteIn(Strict):
    note: ShortText = ""


class ScanIn(Strict):
    code: Annotated[str, Field(max_length=100, description="What the scanner typed (the trailing Enter is ignored)")]


class UnpackIn(Strict):
    line_id: Annotated[str, Field(min_length=1, max_length=40, description="fulfilment-order line id")]


class PackageIn(Strict):
    weight_grams: Grams
    box: Annotated[str, Field(min_length=1, max_length=30)] | None = None
    length_mm: Millimetres | None = None
    width_mm: Millimetres | None = None
    height_mm: Millimetres | None = None


class LabelsIn(Strict):
    carrier: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    service: Annotated[str, Field(min_length=1, max_length=50)] | None = None


class PickListsIn(Strict):
    location: Code
    fulfilment_orders: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=500, description="exactly these released fulfilment orders (default: all waiting)")
    max_orders: Annotated[int, Field(ge=1, le=500, strict=True)] = 20
    max_units: Annotated[int, Field(ge=1, le=100_000, strict=True)] | None = None


class PickedIn(Strict):
    bin: Annotated[str, Field(max_length=50)] = ""
    sku: Code
    quantity: Units


class ConfirmPicksIn(Strict):
    picked: list[PickedIn] | None = Field(default=None, max_length=5000,
                                          description="what was picked per stop; null = everything on the list")


class TrackingEventIn(Strict):
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]
    status: Annotated[str, Field(min_length=1, max_length=60)]
    occurred_at: datetime
    carrier: Annotated[str, Field(max_length=50)] | None = None
    description: Annotated[str, Field(max_length=300)] = ""
    city: Annotated[str, Field(max_length=100)] = ""
    region: Annotated[str, Field(max_length=100)] = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(max_length=2)] = ""


class TrackingEventsIn(Strict):
    events: list[TrackingEventIn] = Field(min_length=1, max_length=5000)


class ValidateIn(Strict):
    number: Annotated[str, Field(max_length=100)]
    carrier: Literal["ups", "fedex", "usps", "dhl"] | None = None


class CartLineIn(Strict):
    sku: Code
    quantity: Annotated[int, Field(ge=1, le=100_000, strict=True)]


class DestinationIn(Strict):
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]
    postal_code: Annotated[str, Field(max_length=20)] = ""
    region: Annotated[str, Field(max_length=100)] = ""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class PromiseIn(Strict):
    items: list[CartLineIn] = Field(min_length=1, max_length=500)
    destination: DestinationIn
    location: Code | None = None
    residential: bool = True


class ConfirmationIn(Strict):
    request_id: Annotated[str, Field(min_length=1, max_length=40)]
    external_ref: Annotated[str, Field(min_length=1, max_length=100, description="the 3PL's shipment id")]
    carrier: Annotated[str, Field(max_length=50)] = ""
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]
    shipped: dict[Code, Units] | None = Field(default=None, description="SKU → units shipped; null = everything")


class SnapshotIn(Strict):
    taken_at: datetime
    counts: dict[Code, Units] = Field(max_length=100_000)
    complete: bool = Field(default=True, description="SKUs left out count as 0 (a full count)")


class ResolveIn(Strict):
    action: Literal["adjust", "dismiss"]
    note: ShortText = ""


class SettingsIn(Patch):
    nullable = frozenset({"webhook_url", "webhook_secret"})  # null: no webhook (the 3PL takes the CSV) / keep it

    timezone: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    release_mode: Literal["manual", "immediate", "cutoff"] | None = None
    release_cutoff: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = None
    min_age_minutes: Annotated[int, Field(ge=0, le=10_080, strict=True)] | None = None
    hold_tags: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(default=None, max_length=50)
    handling_days: Annotated[int, Field(ge=0, le=30, strict=True)] | None = None
    webhook_url: Annotated[str, Field(max_length=500)] | None = None
    webhook_secret: Annotated[str, Field(min_length=16, max_length=200)] | None = None

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(exclude_unset=True, exclude={"webhook_secret"})
        if "webhook_url" in changes and changes["webhook_url"] is None:
            changes["webhook_url"] = ""  # stored as "no webhook"
        return changes


class BinsIn(Strict):
    assignments: dict[Code, Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        min_length=1, max_length=10_000, description="SKU code → bin address (zone-aisle-bay-level-position)")


class BoxIn(Strict):
    name: ShortText = ""
    length_mm: Millimetres
    width_mm: Millimetres
    height_mm: Millimetres
    max_weight_grams: Grams | None = None
    tare_grams: Annotated[int, Field(ge=0, le=100_000, strict=True)] = 0
    active: bool = True


class CarrierIn(BaseModel):
    """A carrier document (docs/shipping.md, "Carriers and rate tables"); validated as a whole."""

    model_config = {"extra": "allow"}
    code: Annotated[str, Field(min_length=1, max_length=30)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
