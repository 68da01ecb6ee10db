"""What happens on a channel besides webhooks: order file imports, POS sales, stock feeds."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse, Response

from conveyor.api.deps import check_channel_scope, container, require
from conveyor.api.personal import order_view
from conveyor.api.schemas import Code, Timestamp
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels import sync
from conveyor.channels.handlers import record_sale
from conveyor.channels.imports import import_orders
from conveyor.channels.service import get_channel
from conveyor.orders.schemas import OrderIn, render_order

router = APIRouter()


@router.post("/{code}/imports")
def import_file(code: str, csv_text: Annotated[str, Body(media_type="text/csv", min_length=1)],
                dry_run: Annotated[bool, Query(description="check everything, write nothing")] = False,
                who: Principal = Depends(require("orders:create")), c: Container = Depends(container)) -> dict:
    """Import an order file with the channel's column profile. Bad rows reject their whole order;
    the rest is imported. Files above the request size limit go through `conveyor import orders`."""
    check_channel_scope(c, who, code)
    report = import_orders(c, code, io.StringIO(csv_text, newline=""), csv_text.encode(), dry_run=dry_run)
    return {"dry_run": report.dry_run, "orders_in_file": report.orders_in_file, "created": report.created,
            "held": report.held, "already_imported": report.already_imported,
            "rejected_rows": [{"row": e.row, "external_id": e.external_id, "reason": e.reason}
                              for e in report.rejected_rows],
            "refused_orders": [{"external_id": x, "reason": why} for x, why in report.refused_orders]}


@router.post("/{code}/pos/sales", status_code=201)
def pos_sale(code: str, body: OrderIn, store: Annotated[Code, Query(description="the store's location code")],
             who: Principal = Depends(require("orders:fulfil")), c: Container = Depends(container)) -> JSONResponse:
    """A sale at a store: placed from that store's stock and completed on the spot."""
    order = record_sale(c, body.to_command(code), store, who.actor)
    return JSONResponse(order_view(who, "order")(render_order(order)), status_code=201)


@router.get("/{code}/feeds/inventory.csv", response_class=Response)
def inventory_feed(code: str, _: Principal = Depends(require("channels:read")),
                   c: Container = Depends(container)) -> Response:
    """Available-to-sell for every SKU the channel lists, buffers applied (the pull-style feed)."""
    with c.reader() as uow:
        items = sync.inventory_items(uow, get_channel(uow, code), None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["channel_sku", "sku", "external_ref", "available"])
    for i in items:
        writer.writerow([i["channel_sku"], i["sku"], i["external_ref"], i["available"]])
    return Response(out.getvalue(), media_type="text/csv")


@router.get("/{code}/feeds/orders.csv", response_class=Response)
def order_status_feed(code: str, since: Timestamp | None = None, _: Principal = Depends(require("channels:read")),
                      c: Container = Depends(container)) -> Response:
    """Order status and latest tracking for the channel's orders changed since `since` (the
    pull-style twin of the order webhooks), oldest change first."""
    from conveyor.orders.feeds import status_feed

    with c.reader() as uow:
        rows = status_feed(uow, get_channel(uow, code).id, since)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "order_id", "status", "updated_at", "carrier", "tracking_number"])
    for r in rows:
        writer.writerow([r.external_id, r.order_id, r.status, r.updated_at.isoformat(), r.carrier,
                         r.tracking_number])
    return Response(out.getvalue(), media_type="text/csv")
