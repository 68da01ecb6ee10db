"""Cursor (keyset) pagination over time-sortable ids: the cursor is the last id seen."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select

from conveyor.shared.errors import ErrorCode, ValidationFailed

T = TypeVar("T")
MAX_LIMIT = 200


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor is not valid", ErrorCode.INVALID_CURSOR) from exc
    if "_" not in value or len(value) > 64:
        raise ValidationFailed("cursor is not valid", ErrorCode.INVALID_CURSOR)
    return value


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def paginate(session: Any, query: Select, id_column: Any, limit: int, cursor: str | None,
             newest_first: bool = True) -> Page:
    """Apply keyset pagination to `query` (which selects ORM entities) and run it."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        last = decode_cursor(cursor)
        query = query.where(id_column < last if newest_first else id_column > last)
    query = query.order_by(id_column.desc() if newest_first else id_column.asc()).limit(limit + 1)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)
