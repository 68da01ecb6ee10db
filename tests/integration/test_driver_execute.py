"""`driver_execute`: the hot path's statements on the driver's own cursor behave, to everything
around them, as statements SQLAlchemy ran - listeners see them, their errors arrive as
SQLAlchemy's exceptions, and a connection lost under one is invalidated as SQLAlchemy would."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.orm import Session

from conveyor.shared.db import normalise_url
from conveyor.shared.sql import driver_execute


def test_listeners_see_the_statement_and_rows_come_back(container):
    engine, seen = container.db.engine, []
    listener = lambda conn, cursor, statement, params, context, many: seen.append((statement, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with Session(engine) as session:
            mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
            rows = driver_execute(session.connection(), f"SELECT {mark} + 1, {mark}", (41, "x"))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert [tuple(r) for r in rows] == [(42, "x")]
    assert seen[-1] == (f"SELECT {mark} + 1, {mark}", (41, "x"))  # after SQLite's BEGIN IMMEDIATE


def test_a_statement_without_rows_runs_in_the_sessions_transaction(container):
    engine = container.db.engine
    with engine.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE t_driver (n integer)")
    try:
        with Session(engine) as session:
            connection = session.connection()
            mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
            assert driver_execute(connection, f"INSERT INTO t_driver (n) VALUES ({mark})", (7,),
                                  returns_rows=False) == []
            assert session.execute(text("SELECT n FROM t_driver")).scalars().all() == [7]
            session.rollback()  # the insert was part of the session's transaction: gone with it
            assert session.execute(text("SELECT count(*) FROM t_driver")).scalar() == 0
    finally:
        with engine.begin() as teardown:
            teardown.exec_driver_sql("DROP TABLE t_driver")


def test_errors_arrive_as_sqlalchemys(container):
    with Session(container.db.engine) as session, pytest.raises(exc.ProgrammingError if
                                                                 container.db.dialect == "postgresql"
                                                                 else exc.OperationalError):
        driver_execute(session.connection(), "SELECT * FROM no_such_table", ())


def test_a_connection_lost_under_it_is_invalidated_as_sqlalchemy_would(container):
    if container.db.dialect != "postgresql":
        pytest.skip("a server to lose: PostgreSQL")
    engine = container.db.engine
    with Session(engine) as session:
        connection = session.connection()
        [(pid,)] = driver_execute(connection, "SELECT pg_backend_pid()", ())
        killer = create_engine(normalise_url(str(engine.url.render_as_string(hide_password=False))))
        with killer.begin() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        with pytest.raises(exc.OperationalError) as lost:
            driver_execute(connection, "SELECT 1", ())
        assert lost.value.connection_invalidated  # what SQLAlchemy's own execution reports
        assert connection.invalidated
    with engine.connect() as fresh:  # the pool hands out a working connection next
        assert fresh.execute(text("SELECT 1")).scalar() == 1
