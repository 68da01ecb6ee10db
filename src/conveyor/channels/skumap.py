"""Channel SKU mapping: a channel's SKU or listing id → our SKU.

Lookup order, for every channel path (webhooks, pulls, CSV): an explicit mapping first, then an
internal SKU with exactly the channel's code, so shops that already use the merchant's SKUs
need no mapping at all. An unknown key keeps the order but holds it (`unmapped_sku`); after a
mapping is added, releasing the hold re-maps the line (`remap_unmapped_lines`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select

from conveyor.catalog.service import sku_codes, sku_facts, sku_ids_by_code
from conveyor.channels.mappers.common import SkuLookup
from conveyor.channels.model import ChannelSku
from conveyor.channels.service import get_channel
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Mapping:
    channel_sku: str
    sku: str
    external_ref: str = ""


def set_mappings(uow: UnitOfWork, channel_code: str, entries: list[Mapping]) -> int:
    """Create or replace mappings, all or nothing; unknown SKUs are named in the error."""
    channel = get_channel(uow, channel_code)
    codes = {e.sku for e in entries}
    sku_ids = sku_ids_by_code(uow, sorted(codes))
    missing = sorted(codes - set(sku_ids))
    if missing:
        raise ValidationFailed(f"unknown SKU(s): {', '.join(missing)}", ErrorCode.UNKNOWN_SKU, skus=missing)
    keys = [e.channel_sku for e in entries]
    existing = {m.channel_sku: m for m in uow.session.scalars(
        select(ChannelSku).where(ChannelSku.channel_id == channel.id, ChannelSku.channel_sku.in_(keys)))}
    for e in entries:
        row = existing.get(e.channel_sku)
        if row is None:
            row = existing[e.channel_sku] = ChannelSku(id=ids.new_id("sku_map"), channel_id=channel.id,
                                                       channel_sku=e.channel_sku, created_at=utcnow())
            uow.session.add(row)
        row.sku_id, row.external_ref = sku_ids[e.sku], e.external_ref
    uow.session.flush()
    return len(entries)


def delete_mapping(uow: UnitOfWork, channel_code: str, channel_sku: str) -> None:
    channel = get_channel(uow, channel_code)
    uow.session.execute(delete(ChannelSku).where(ChannelSku.channel_id == channel.id,
                                                 ChannelSku.channel_sku == channel_sku))


def list_mappings(uow: UnitOfWork, channel_code: str, limit: int = 200,
                  after: str | None = None) -> list[Mapping]:
    channel = get_channel(uow, channel_code)
    query = (select(ChannelSku.channel_sku, ChannelSku.sku_id, ChannelSku.external_ref)
             .where(ChannelSku.channel_id == channel.id))
    if after:
        query = query.where(ChannelSku.channel_sku > after)
    rows = uow.session.execute(query.order_by(ChannelSku.channel_sku).limit(limit)).all()
    codes = sku_codes(uow, [r.sku_id for r in rows])
    return [Mapping(r.channel_sku, codes.get(r.sku_id, r.sku_id), r.external_ref) for r in rows]


def parse_mapping_csv(lines: Iterable[str]) -> list[Mapping]:
    """`channel_sku,sku[,external_ref]` with a header row; every bad row is reported at once."""
    reader = csv.DictReader(lines)
    if not reader.fieldnames or not {"channel_sku", "sku"} <= {f.strip() for f in reader.fieldnames}:
        raise ValidationFailed("the file needs a header with channel_sku,sku[,external_ref]")
    entries, errors = [], []
    for row in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not row.get("channel_sku") or not row.get("sku"):
            errors.append({"row": reader.line_num, "reason": "channel_sku and sku are required"})
            continue
        entries.append(Mapping(row["channel_sku"], row["sku"], row.get("external_ref", "")))
    if errors:
        raise ValidationFailed(f"{len(errors)} row(s) are not valid; nothing imported", rows=errors)
    return entries


def lookup_for(uow: UnitOfWork, channel_id: str) -> SkuLookup:
    """A lookup for a few keys (one webhook): one query per distinct key."""
    seen: dict[str, str | None] = {}

    def lookup(key: str) -> str | None:
        if key not in seen:
            mapped = uow.session.scalar(select(ChannelSku.sku_id).where(ChannelSku.channel_id == channel_id,
                                                                        ChannelSku.channel_sku == key))
            if mapped is not None:
                seen[key] = sku_codes(uow, [mapped]).get(mapped)
            else:
                seen[key] = key if key in sku_facts(uow, [key]) else None
        return seen[key]

    return lookup


def preloaded_lookup(uow: UnitOfWork, channel_id: str) -> SkuLookup:
    """A lookup for many keys (a CSV import): the channel's whole map and all SKU codes, read once."""
    by_id = dict(uow.session.execute(
        select(ChannelSku.channel_sku, ChannelSku.sku_id).where(ChannelSku.channel_id == channel_id)).all())
    ids_by_code = sku_ids_by_code(uow, None)
    codes = {sku_id: code for code, sku_id in ids_by_code.items()}
    mapped = {key: codes[sku_id] for key, sku_id in by_id.items() if sku_id in codes}
    return lambda key: mapped.get(key) or (key if key in ids_by_code else None)


def remap_unmapped_lines(uow: UnitOfWork, order) -> list[int]:
    """Resolve lines stored with the channel's SKU (sku_id NULL) through the mapping as it is now;
    returns the line numbers still unmapped. Called when a hold is released."""
    lookup = lookup_for(uow, order.channel_id)
    still = []
    for line in order.lines:
        if line.sku_id is not None:
            continue
        code = lookup(line.sku_code)
        facts = sku_facts(uow, [code]).get(code) if code else None
        if facts is not None:
            line.sku_id, line.sku_code = facts.id, code
        else:
            still.append(line.line_no)
    uow.session.flush()
    return still
