"""`insert_unique_with`: a row unless its key exists, and its children only if it went in — on
PostgreSQL in one statement (the order placement's hot path), on SQLite one INSERT each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, event, exc, func, select
from sqlalchemy.orm import Session

from conveyor.shared.db import UtcDateTime
from conveyor.shared.sql import COPY_THRESHOLD, insert_rows, insert_unique_with

meta = MetaData()
parent = Table("t_parent", meta, Column("id", String(8), primary_key=True), Column("ext", String(10), unique=True))
child = Table("t_child", meta, Column("id", String(8), primary_key=True),
              Column("parent_id", String(8), ForeignKey("t_parent.id"), nullable=False),
              Column("label", String(3)), Column("n", Integer), Column("at", UtcDateTime),
              Column("doc", JSON))
grandchild = Table("t_grandchild", meta, Column("id", String(8), primary_key=True),
                   Column("child_id", String(8), ForeignKey("t_child.id"), nullable=False))
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(container):
    engine = container.db.engine
    meta.create_all(engine)
    yield engine
    meta.drop_all(engine)


def _children(n: int, parent_id: str, label: str = "ok") -> list[dict]:
    return [{"id": f"{parent_id}c{i}", "parent_id": parent_id, "label": label, "n": i, "at": AT,
             "doc": {"i": i, "tags": ["a"]}} for i in range(n)]


def _insert(session: Session, parent_id: str, ext: str, kids: list[dict]) -> bool:
    return insert_unique_with(session, parent, {"id": parent_id, "ext": ext}, ["ext"],
                              [(child, kids), (grandchild, [{"id": f"{k['id']}g", "child_id": k["id"]} for k in kids])])


def _record_statements(engine, session: Session) -> list[str]:
    """Every statement the database ran for `session`: on SQLite what SQLite itself traced (small
    inserts go on the driver's own cursor, past SQLAlchemy's events)."""
    statements: list[str] = []
    if engine.dialect.name == "sqlite":
        session.connection().connection.driver_connection.set_trace_callback(statements.append)
    else:
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    return statements


def test_children_go_in_with_their_parent_and_not_with_a_repeat(engine):
    with Session(engine) as session:
        statements = _record_statements(engine, session)
        assert _insert(session, "p1", "E-1", _children(3, "p1"))
        assert not _insert(session, "p2", "E-1", _children(2, "p2"))  # same key: nothing of it goes in
        inserts = [s for s in statements if "INSERT" in s]
        session.commit()
        rows = session.execute(select(child.c.id, child.c.n, child.c.at, child.c.doc).order_by(child.c.id)).all()
        assert [(r.id, r.n, r.at, r.doc) for r in rows] == [(f"p1c{i}", i, AT, {"i": i, "tags": ["a"]})
                                                              for i in range(3)]
        assert session.scalar(select(func.count()).select_from(grandchild)) == 3
        assert session.scalars(select(parent.c.id)).all() == ["p1"]
    if engine.dialect.name == "postgresql":
        assert len(inserts) == 2  # one statement per call: the parent, its children and theirs
    else:
        assert len(inserts) == 4  # parent, children, grandchildren; the repeat's parent only


@pytest.mark.parametrize("rows", [1, COPY_THRESHOLD + 5])  # a multi-row INSERT; COPY or executemany
def test_a_duplicate_raises_sqlalchemys_integrity_error_whichever_way_rows_go(engine, rows):
    """Callers catch `sqlalchemy.exc.IntegrityError` (an import's batch retried order by order):
    rows sent on the driver's own cursor must fail the same way, not with the driver's exception."""
    with Session(engine) as session:
        insert_rows(session, parent, [{"id": "dup", "ext": "E-0"}])
        with pytest.raises(exc.IntegrityError):
            insert_rows(session, parent, [{"id": f"p{i}", "ext": f"E-{i}"} for i in range(rows)])


def test_on_sqlite_the_rows_go_in_the_sessions_transaction(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's rows go through SQLAlchemy's connection")
    with Session(engine) as session:
        insert_rows(session, parent, [{"id": "p1", "ext": "E-1"}])
        _insert(session, "p2", "E-2", _children(2, "p2"))
        session.rollback()  # everything inserted on the driver's cursor is undone with the session's
        assert session.scalar(select(func.count()).select_from(parent)) == 0
        assert session.scalar(select(func.count()).select_from(child)) == 0


def test_an_over_long_value_fails_rather_than_being_cut(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not enforce a string's length")
    with Session(engine) as session, pytest.raises(exc.DataError):
        _insert(session, "p1", "E-1", _children(1, "p1", label="four"))
