"""The landing data checked without writing anything: its problems, and the employees it holds.

``openspm validate`` and the close report read landing files directly (the warehouse may not
exist yet, or may be another process's to write); the compensation step reads the delivered
employees the same way, so "a known employee" means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from openspm.entities import ENTITIES, Entity, entity
from openspm.ingest.batches import (
    BATCH_VIEW,
    PROBLEMS_TABLE,
    CheckedBatch,
    Problem,
    entity_batches,
    fetch_problems,
    read_ahead,
    stage_problems,
    unregister,
)
from openspm.ingest.ledger import read_records_if_possible
from openspm.workspace import Workspace

EMPLOYEES = entity("hris/employees")


def check_landing(workspace: Workspace) -> list[Problem]:
    """Every problem ingestion would record or raise for the landing data; writes nothing.

    Every batch is read and checked (also those loaded earlier, whose problems still stand).
    If the warehouse exists and can be opened read-only, loaded batches that changed are
    reported too. The warehouse file is never created.
    """
    problems: list[Problem] = []
    records = read_records_if_possible(workspace)
    with _scratch() as con:
        for ent in ENTITIES:
            for checked in read_ahead(ent, entity_batches(workspace, ent).batches):
                batch = checked.batch
                if checked.open_error is not None:
                    problems.append(Problem(ent.folder, batch.file, checked.open_error))
                    continue
                known = records.get(batch.file)
                if known and known.status == "loaded" and known.file_hash != checked.file_hash:
                    problems.append(
                        Problem(
                            ent.folder,
                            batch.file,
                            f"changed after it was loaded on {known.loaded_at:%Y-%m-%d %H:%M:%S}"
                            " UTC; deliver changes as a new batch file",
                        )
                    )
                problems.extend(checked.rejection)
                if checked.table is not None:
                    with _staged(con, ent, checked):
                        problems.extend(fetch_problems(con, ent, batch))
    return problems


def delivered_employee_ids(workspace: Workspace) -> set[str] | None:
    """Employee ids of the readable hris/employees batches, trimmed, rows that parse only.

    The employees ingestion loads and staging keeps (a row with a value that does not parse is
    quarantined); None when no batch delivers one.
    """
    ids: set[str] = set()
    with _scratch() as con:
        for checked in read_ahead(EMPLOYEES, entity_batches(workspace, EMPLOYEES).batches):
            if checked.table is None:
                continue  # unreadable or rejected: reported by check_landing
            with _staged(con, EMPLOYEES, checked):
                rows = con.execute(
                    f"SELECT DISTINCT trim(employee_id) FROM {BATCH_VIEW} WHERE _row_number NOT "
                    f"IN (SELECT _row_number FROM {PROBLEMS_TABLE}) AND trim(employee_id) <> ''"
                ).fetchall()
            ids.update(employee_id for (employee_id,) in rows)
    return ids or None


@contextmanager
def _scratch() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


@contextmanager
def _staged(con: duckdb.DuckDBPyConnection, ent: Entity, checked: CheckedBatch) -> Iterator[None]:
    """The batch registered with its problems staged, for the block only."""
    stage_problems(con, ent, checked)
    try:
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS {PROBLEMS_TABLE}")
        unregister(con)
