"""The layering of DESIGN.md, enforced by tests where import-linter can't see (see also `make lint`):

- only command handlers (and the unit of work itself, and the outbox worker's own bookkeeping)
  commit, so every use case is exactly one transaction;
- an area's raw SQL names only its own tables (reading another area's table goes through that
  area's service functions; the audit is the one read-side exception, on purpose);
- every area that owns tables has an import-linter contract keeping other areas out of its model.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import conveyor.models  # noqa: F401  (register every table)
from conveyor.shared.db import Base

SRC = Path(__file__).resolve().parents[2] / "src" / "conveyor"
ROOT = SRC.parents[1]

# Where a transaction may end: use cases, the unit of work and the generic handler runner, and the
# worker's claim/finish bookkeeping of outbox messages.
MAY_COMMIT = re.compile(r"(^|/)handlers\.py$|^shared/uow\.py$|^shared/handlers\.py$|^messaging/worker\.py$")
# Read-side modules that look across areas on purpose.
MAY_READ_ANY_TABLE = {"audit.py", "demo.py", "models.py",
                      # Reports and KPIs are the read side: aggregate queries over orders, shipments,
                      # stock and purchasing at once (nothing there writes).
                      "planning/reports.py", "planning/stock_reports.py"}
SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
SQL_STATEMENT = re.compile(r"\b(SELECT|UPDATE|INSERT|DELETE)\b")  # upper case: SQL, not prose
OUTER_RING = {"api", "cli", "web"}


def modules() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(SRC)), ast.parse(p.read_text(), str(p)))
            for p in sorted(SRC.rglob("*.py")) if "migrations" not in p.parts]


def test_only_handlers_commit():
    offenders = []
    for path, tree in modules():
        if MAY_COMMIT.search(path):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "begin_nested")):
                offenders.append(f"{path}:{node.lineno} .{node.func.attr}()")
    assert offenders == [], "only command handlers end transactions: " + ", ".join(offenders)


def _owner_of_tables() -> dict[str, str]:
    owners = {}
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__.removeprefix("conveyor.")
        owners[mapper.local_table.name] = module.split(".")[0]
    return owners


def test_raw_sql_names_only_the_areas_own_tables():
    owners, offenders = _owner_of_tables(), []
    for path, tree in modules():
        area = path.split("/")[0] if "/" in path else None
        if area is None or area in OUTER_RING or path in MAY_READ_ANY_TABLE:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_STATEMENT.search(node.value):
                for table in SQL_TABLE.findall(node.value):
                    if owners.get(table.lower()) not in (None, area):
                        offenders.append(f"{path}:{node.lineno} reads {table} ({owners[table.lower()]})")
    assert offenders == [], "read other areas' tables through their services: " + ", ".join(offenders)


def test_every_area_with_tables_has_a_contract_keeping_others_out():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    guarded = {m for c in config if c["type"] == "forbidden" for m in c["forbidden_modules"]}
    table_modules = {m.class_.__module__ for m in Base.registry.mappers if m.class_.__module__.endswith(".model")}
    assert table_modules and table_modules <= guarded


def test_the_checks_see_what_they_look_for():
    """The detectors themselves: a commit and a foreign table are found in a sample."""
    sample = ast.parse('uow.commit()\nsql = "SELECT id FROM orders JOIN skus ON 1=1"')
    calls = [n for n in ast.walk(sample) if isinstance(n, ast.Call) and n.func.attr == "commit"]
    tables = [t for n in ast.walk(sample) if isinstance(n, ast.Constant) and isinstance(n.value, str)
              for t in SQL_TABLE.findall(n.value)]
    assert len(calls) == 1 and tables == ["orders", "skus"]
    assert _owner_of_tables()["orders"] == "orders" and _owner_of_tables()["skus"] == "catalog"
