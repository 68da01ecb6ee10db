"""JSON bodies of fulfilment things (plain dicts: our own data, rendered without re-validation)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from conveyor.shared.clock import as_utc
from conveyor.shared.money import format_minor


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def fulfilment_order(fo: Any, packages: list[Any] | None = None, labels: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": fo.id, "order_id": fo.order_id, "location_id": fo.location_id, "status": fo.status,
        "pick_list_id": fo.pick_list_id, "shipment_id": fo.shipment_id, "carrier": fo.carrier,
        "service": fo.service, "tracking_number": fo.tracking_number, "promised_date": iso(fo.promised_date),
        "late": fo.late, "exception_reason": fo.exception_reason or None,
        "lines": [{"id": li.id, "order_line_id": li.order_line_id, "sku": li.sku_code, "quantity": li.quantity,
                   "per_unit": li.per_unit, "picked": li.picked, "packed": li.packed} for li in fo.lines],
        "released_at": iso(fo.released_at), "packed_at": iso(fo.packed_at), "shipped_at": iso(fo.shipped_at),
        "delivered_at": iso(fo.delivered_at), "created_at": iso(fo.created_at), "updated_at": iso(fo.updated_at),
    }
    if packages is not None:
        body["packages"] = [package(p) for p in packages]
    if labels is not None:
        body["labels"] = [label(lb) for lb in labels]
    return body


def package(p: Any) -> dict[str, Any]:
    return {"id": p.id, "number": p.number, "status": p.status, "contents": dict(p.contents or {}),
            "box": p.box_code, "weight_grams": p.weight_grams, "length_mm": p.length_mm, "width_mm": p.width_mm,
            "height_mm": p.height_mm}


def label(lb: Any) -> dict[str, Any]:
    return {"id": lb.id, "fulfilment_order_id": lb.fulfilment_order_id, "package_id": lb.package_id,
            "provider": lb.provider, "carrier": lb.carrier, "service": lb.service,
            "tracking_number": lb.tracking_number, "cost": format_minor(lb.cost_minor, lb.currency),
            "currency": lb.currency, "weight_grams": lb.weight_grams, "delivery_date": iso(lb.delivery_date),
            "status": lb.status, "formats": ["pdf", "zpl"] if lb.label_zpl else ["pdf"],
            "created_at": iso(lb.created_at)}


def pick_list(row: Any) -> dict[str, Any]:
    stops = row.document.get("stops", [])
    return {"id": row.id, "location_id": row.location_id, "status": row.status,
            "fulfilment_orders": sorted({put["fulfillment_order"] for s in stops for put in s["breakdown"]}),
            "total_units": sum(s["quantity"] for s in stops),
            "stops": [{"sequence": s["sequence"], "bin": s["bin"], "sku": s["sku"], "quantity": s["quantity"],
                       "put_to": [{"fulfilment_order_id": p["fulfillment_order"], "order_id": p["order_ref"],
                                   "line_id": p["line_id"], "quantity": p["quantity"]} for p in s["breakdown"]]}
                      for s in stops],
            "created_at": iso(row.created_at), "completed_at": iso(row.completed_at)}


def shipment(s: Any) -> dict[str, Any]:
    return {"id": s.id, "location_id": s.location_id, "carrier": s.carrier, "tracking_number": s.tracking_number,
            "status": s.status, "items": [{"line_id": i["line_id"], "quantity": i["quantity"]} for i in s.items],
            "created_at": iso(s.created_at), "delivered_at": iso(s.delivered_at)}


def discrepancy(d: Any) -> dict[str, Any]:
    return {"id": d.id, "snapshot_id": d.snapshot_id, "location_id": d.location_id, "sku": d.sku_code,
            "ledger_on_hand": d.ledger_on_hand, "reported_on_hand": d.reported_on_hand, "difference": d.difference,
            "status": d.status, "note": d.note, "resolved_by": d.resolved_by, "resolved_at": iso(d.resolved_at),
            "created_at": iso(d.created_at)}


def location_settings(s: Any) -> dict[str, Any]:
    return {"location_id": s.location_id, "timezone": s.timezone, "release_mode": s.release_mode,
            "release_cutoff": s.release_cutoff, "min_age_minutes": s.min_age_minutes,
            "hold_tags": list(s.hold_tags or []), "handling_days": s.handling_days, "webhook_url": s.webhook_url,
            "webhook_secret_set": bool(s.webhook_secret_encrypted)}
