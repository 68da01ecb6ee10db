"""Bulk inserts (`shared.sql.insert_rows`) store every value exactly as SQLAlchemy's own INSERT
does — datetimes (shared by many rows, or equal instants in other time zones), JSON, NULLs and
booleans — whichever path the row count takes (one multi-row INSERT, or executemany for many)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.orm import Session

from conveyor.shared.sql import COPY_THRESHOLD, insert_rows

metadata = MetaData()
ours = Table("ours", metadata, Column("id", Integer, primary_key=True), Column("at", DateTime),
             Column("data", JSON), Column("flag", Boolean), Column("note", String))
theirs = Table("theirs", metadata, *(Column(c.name, c.type, primary_key=c.primary_key) for c in ours.columns))


def _rows(count: int) -> list[dict]:
    now = datetime(2026, 11, 30, 18, 0, 0, 123456)
    utc = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    same_instant_elsewhere = utc.astimezone(timezone(timedelta(hours=5)))
    times = [now, now, None, utc, same_instant_elsewhere, now + timedelta(microseconds=1)]
    payloads = [{"a": 1}, None, [1, "x"], {"a": 1}]
    return [{"id": n, "at": times[n % len(times)], "data": payloads[n % len(payloads)], "flag": n % 3 == 0,
             "note": None if n % 5 == 0 else f"n{n}"} for n in range(count)]


@pytest.mark.parametrize("count", [8, COPY_THRESHOLD + 7])
def test_bulk_rows_are_stored_as_sqlalchemy_stores_them(tmp_path, count):
    engine = create_engine(f"sqlite:///{tmp_path}/t.db")
    metadata.create_all(engine)
    rows = _rows(count)
    with Session(engine) as session:
        insert_rows(session, ours, rows)
        session.execute(insert(theirs), rows)
        session.commit()
    with engine.connect() as conn:  # the stored text, not what SQLAlchemy reads back
        stored = conn.exec_driver_sql("SELECT id, at, data, flag, note FROM ours ORDER BY id").fetchall()
        expected = conn.exec_driver_sql("SELECT id, at, data, flag, note FROM theirs ORDER BY id").fetchall()
        assert stored == expected
        assert len(stored) == count
        assert len({row[1] for row in stored if row[1]}) == 4  # equal instants, other zones: stored apart
        assert conn.execute(select(ours.c.data).where(ours.c.id == 1)).scalar() is None
    engine.dispose()
