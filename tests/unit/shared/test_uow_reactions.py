"""Unit-of-work reactions (shared/uow.py): what one area registers runs for every change another area
notes, before the transaction commits — or the commit refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conveyor.shared.db import Database
from conveyor.shared.uow import UnitOfWork, react_to

seen: list[tuple[str, dict[str, dict[str, Any]]]] = []


def _record_parcel(uow: UnitOfWork, changed: dict[str, dict[str, Any]]) -> None:
    seen.append(("parcel", changed))
    for key in changed:
        uow.changed("test.label", key, printed=True)  # a reaction may cause another


def _record_label(uow: UnitOfWork, changed: dict[str, dict[str, Any]]) -> None:
    seen.append(("label", changed))


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'reactions.db'}")
    yield database
    database.dispose()


def test_reactions_run_once_per_key_with_merged_details_before_commit(db: Database) -> None:
    seen.clear()
    react_to("test.parcel", _record_parcel)
    react_to("test.parcel", _record_parcel)  # registering twice still runs it once
    react_to("test.label", _record_label)
    uow = UnitOfWork(db)
    try:
        uow.changed("test.parcel", "p1", actor="alice")
        uow.changed("test.parcel", "p1", actor="bob", shipment_id=None)  # later wins, None never overwrites
        uow.changed("test.parcel", "p2", shipment_id="shp_1")
        uow.changed("test.parcel", "p3")
        uow.followed("test.parcel", "p3")  # its caller already did the work by hand
        uow.commit()
    finally:
        uow.close()
    assert seen == [("parcel", {"p1": {"actor": "bob"}, "p2": {"shipment_id": "shp_1"}}),
                    ("label", {"p1": {"printed": True}, "p2": {"printed": True}})]


def test_a_change_nobody_follows_refuses_to_commit(db: Database) -> None:
    uow = UnitOfWork(db)
    try:
        uow.changed("test.unfollowed", "x1")
        with pytest.raises(RuntimeError, match="nothing follows 'test.unfollowed'"):
            uow.commit()
    finally:
        uow.close()


def test_rollback_forgets_noted_changes(db: Database) -> None:
    seen.clear()
    react_to("test.parcel", _record_parcel)
    uow = UnitOfWork(db)
    try:
        uow.changed("test.parcel", "p9")
        uow.rollback()
        uow.commit()
    finally:
        uow.close()
    assert seen == []
