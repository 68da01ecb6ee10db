"""What a warehouse team configures once: per-location fulfilment settings (release mode,
cut-off, 3PL webhook), bins and which SKU lives in which bin, and the box sizes they pack into."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from conveyor.catalog.service import sku_ids_by_code
from conveyor.fulfillment.boxes import Box
from conveyor.fulfillment.model import Bin, BoxSize, FulfilmentSettings, SkuBin
from conveyor.fulfillment.picking import parse_bin
from conveyor.fulfillment.release_rules import ReleasePolicy, policy
from conveyor.shared import ids
from conveyor.shared.errors import ErrorCode, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork

SETTINGS_FIELDS = ("timezone", "release_mode", "release_cutoff", "min_age_minutes", "hold_tags", "handling_days",
                   "webhook_url")


def settings_for(uow: UnitOfWork, location_id: str) -> FulfilmentSettings:
    """The location's settings (the defaults — manual release, UTC — when never set)."""
    found = uow.session.get(FulfilmentSettings, location_id)
    return found or FulfilmentSettings(location_id=location_id, timezone="UTC", release_mode="manual",
                                       release_cutoff=None, min_age_minutes=0, hold_tags=[], handling_days=0,
                                       webhook_url="", webhook_secret_encrypted=None)


def all_settings(uow: UnitOfWork) -> list[FulfilmentSettings]:
    return list(uow.session.scalars(select(FulfilmentSettings).order_by(FulfilmentSettings.location_id)))


def put_settings(uow: UnitOfWork, location_id: str, changes: Mapping[str, Any],
                 sealed_secret: str | None = None) -> FulfilmentSettings:
    """Change some settings (validated together); `sealed_secret` replaces the 3PL webhook secret."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    current = settings_for(uow, location_id)
    merged = {name: changes.get(name, getattr(current, name)) for name in SETTINGS_FIELDS}
    release_policy_of(merged)
    if int(merged["handling_days"]) < 0:
        raise ValidationFailed("handling_days must be ≥ 0", field="handling_days")
    url = merged["webhook_url"] or ""
    if url and not url.startswith(("https://", "http://")):
        raise ValidationFailed("webhook_url must be an http(s) URL", field="webhook_url")
    for name, value in merged.items():
        setattr(current, name, value)
    if sealed_secret is not None:
        current.webhook_secret_encrypted = sealed_secret
    if uow.session.get(FulfilmentSettings, location_id) is None:
        uow.session.add(current)
    uow.session.flush()
    return current


def release_policy_of(values: Any) -> ReleasePolicy:
    get = values.get if isinstance(values, Mapping) else lambda name: getattr(values, name)
    return policy(get("release_mode") or "manual", get("timezone") or "UTC", get("release_cutoff"),
                  int(get("min_age_minutes") or 0), get("hold_tags") or [])


# --- bins -----------------------------------------------------------------------------------------

def assign_bins(uow: UnitOfWork, location_id: str, assignments: Mapping[str, str]) -> int:
    """Put SKUs (by code) in bins (by address) at a location; unknown bins are created. Returns
    how many SKUs were assigned."""
    sku_ids = sku_ids_by_code(uow, list(assignments))
    missing = sorted(set(assignments) - set(sku_ids))
    if missing:
        raise ValidationFailed(f"unknown SKU(s): {', '.join(missing)}", ErrorCode.UNKNOWN_SKU, skus=missing)
    bins = ensure_bins(uow, location_id, set(assignments.values()))
    existing = {sb.sku_id: sb for sb in uow.session.scalars(
        select(SkuBin).where(SkuBin.location_id == location_id, SkuBin.sku_id.in_(sku_ids.values())))}
    for code, bin_code in assignments.items():
        sku_id = sku_ids[code]
        if sku_id in existing:
            existing[sku_id].bin_id = bins[bin_code.strip()].id
        else:
            uow.session.add(SkuBin(id=ids.new_id("sku_bin"), sku_id=sku_id, location_id=location_id,
                                   bin_id=bins[bin_code.strip()].id))
    uow.session.flush()
    return len(assignments)


def ensure_bins(uow: UnitOfWork, location_id: str, codes: Iterable[str]) -> dict[str, Bin]:
    wanted = {code.strip() for code in codes}
    for code in wanted:
        if not code or len(code) > 50:
            raise ValidationFailed(f"bin address {code!r} must be 1 to 50 characters", field="bin")
        parse_bin(code)
    found = {b.code: b for b in uow.session.scalars(
        select(Bin).where(Bin.location_id == location_id, Bin.code.in_(wanted)))}
    for code in sorted(wanted - set(found)):
        found[code] = Bin(id=ids.new_id("bin"), location_id=location_id, code=code)
        uow.session.add(found[code])
    return found


def bins_of(uow: UnitOfWork, location_id: str, sku_ids: Iterable[str]) -> dict[str, str]:
    """{sku id: bin address} at a location (SKUs without a bin are absent)."""
    rows = uow.session.execute(select(SkuBin.sku_id, Bin.code).join(Bin, Bin.id == SkuBin.bin_id).where(
        SkuBin.location_id == location_id, SkuBin.sku_id.in_(set(sku_ids))))
    return {sku_id: code for sku_id, code in rows}


def list_bins(uow: UnitOfWork, location_id: str) -> list[tuple[str, list[str]]]:
    """[(bin address, [sku ids in it])] for a location, bins in address order."""
    bins = list(uow.session.scalars(select(Bin).where(Bin.location_id == location_id).order_by(Bin.code)))
    skus: dict[str, list[str]] = {}
    for sku_bin in uow.session.scalars(select(SkuBin).where(SkuBin.location_id == location_id)):
        skus.setdefault(sku_bin.bin_id, []).append(sku_bin.sku_id)
    return [(b.code, sorted(skus.get(b.id, []))) for b in bins]


# --- box sizes ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BoxData:
    code: str
    length_mm: int
    width_mm: int
    height_mm: int
    name: str = ""
    max_weight_grams: int | None = None
    tare_grams: int = 0
    active: bool = True


def put_box(uow: UnitOfWork, data: BoxData) -> BoxSize:
    if min(data.length_mm, data.width_mm, data.height_mm) <= 0 or data.tare_grams < 0:
        raise ValidationFailed("a box needs positive inner dimensions and a tare ≥ 0")
    box = uow.session.get(BoxSize, data.code) or BoxSize(code=data.code)
    for name in ("name", "length_mm", "width_mm", "height_mm", "max_weight_grams", "tare_grams", "active"):
        setattr(box, name, getattr(data, name))
    uow.session.add(box)
    uow.session.flush()
    return box


def get_box(uow: UnitOfWork, code: str) -> BoxSize:
    box = uow.session.get(BoxSize, code)
    if box is None:
        raise NotFound("box size", code)
    return box


def list_boxes(uow: UnitOfWork, active_only: bool = False) -> list[BoxSize]:
    query = select(BoxSize).order_by(BoxSize.code)
    if active_only:
        query = query.where(BoxSize.active.is_(True))
    return list(uow.session.scalars(query))


def as_box(box: BoxSize) -> Box:
    return Box(box.code, box.length_mm, box.width_mm, box.height_mm, box.max_weight_grams, box.tare_grams)
