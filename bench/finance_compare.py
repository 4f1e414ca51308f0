"""Two workspaces' published ``finance.*`` tables compared row for row, to the cent.

What a close publishes must not depend on the warehouse engine (docs/scaling.md): the same
workspace closed on DuckDB, PostgreSQL or Spark gives the same rows, ``run_id`` and
``published_at`` aside. Values are compared as text, so ``1.20`` is not ``1.2``. Each closed
month's accounting files (``journal-entries.csv``, ``deferred-commissions.csv``) are compared
too, row for row in file order, the run id aside. Used by bench/close_demo.py ``--reference``
and by tests/test_engines.py.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from openspm.accounting.files import JOURNAL_FILE, ROLLFORWARD_FILE
from openspm.publish import CLOSES_COLUMNS, PUBLISHED_TABLES
from openspm.warehouse import connect
from openspm.workspace import Workspace

STAMPS = ("run_id", "published_at")
FINANCE = {**PUBLISHED_TABLES, "closes": CLOSES_COLUMNS}

Snapshot = dict[str, list[tuple[str, ...]]]


def finance_snapshot(workspace: Workspace) -> Snapshot:
    """Every finance table's rows but the stamps, as text, sorted (tables absent: no rows);
    and the rows of each closed month's accounting files, in file order (the stamps aside)."""
    snapshot: Snapshot = {}
    with connect(workspace, read_only=True) as warehouse:
        for table, columns in FINANCE.items():
            if not warehouse.table_exists(f"finance.{table}"):
                snapshot[table] = []
                continue
            names = [c.split()[0] for c in columns if c.split()[0] not in STAMPS]
            rows = warehouse.execute(f"select {', '.join(names)} from finance.{table}").fetchall()
            snapshot[table] = sorted(
                tuple("<null>" if v is None else _text(v) for v in row) for row in rows
            )
    for row in snapshot["closes"]:
        for name in (JOURNAL_FILE, ROLLFORWARD_FILE):
            path = workspace.root / "out" / row[0] / name
            if path.exists():
                with path.open(newline="", encoding="utf-8") as handle:
                    lines = list(csv.reader(handle))
                keep = [i for i, column in enumerate(lines[0]) if column not in STAMPS]
                snapshot[f"{row[0]}/{name}"] = [tuple(r[i] for i in keep) for r in lines]
    return snapshot


def differences(reference: Snapshot, other: Snapshot, names: tuple[str, str]) -> list[str]:
    """One line per table (or file) that differs, naming both sides' counts and a few rows of
    each; a table or file only one side has is a difference too."""
    found = [
        f"{table}: only {names[1]} has it" for table in sorted(set(other) - set(reference))
    ]
    for table, rows in reference.items():
        theirs = other.get(table, [])
        if rows != theirs:
            only_first = sorted(set(rows) - set(theirs))[:3]
            only_second = sorted(set(theirs) - set(rows))[:3]
            found.append(
                f"finance.{table}: {names[0]} {len(rows)} rows, {names[1]} {len(theirs)}; "
                f"only on {names[0]}: {only_first}; only on {names[1]}: {only_second}"
            )
    return found


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
