"""Loading landing batches into the warehouse schema ``raw``, one transaction a batch.

Loaded batches are skipped, a loaded batch whose file changed stops its entity
(``LandingFileChangedError``), a rejected batch that was replaced is read again, and values
that do not parse are kept, flagged, and listed in ``raw.ingest_quarantine``
(``docs/raw-layer.md``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from integrations.file_drop import ROW_NUMBER, BatchFile, file_sha256
from openspm.entities import ENTITIES, Entity
from openspm.ingest.batches import (
    BATCH_VIEW,
    PROBLEMS_TABLE,
    CheckedBatch,
    entity_batches,
    read_ahead,
    stage_problems,
    unregister,
)
from openspm.ingest.ledger import (
    BATCHES_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    BatchRecord,
    IngestError,
    LandingFileChangedError,
    batch_records,
    ensure_tables,
    forget,
    forget_rejection,
    now,
    record_batch,
    record_rejection,
    table_columns,
)
from openspm.warehouse import Warehouse, connect, quote_identifier, quote_literal
from openspm.workspace import Workspace


@dataclass
class EntityIngestReport:
    """What one ingestion of an entity did (counts are of this run unless marked total)."""

    entity: str  # "crm/deals"
    table: str  # "raw.crm__deals"
    batches_found: int = 0  # batch files in the landing folder
    batches_loaded: int = 0
    batches_skipped: int = 0  # unchanged since an earlier run (loaded or rejected then)
    batches_rejected: int = 0  # rejected in this run
    rejected_total: int = 0  # batches of the entity on record as rejected after this run
    rejections_withdrawn: int = 0  # rejected batches forgotten since their file was removed
    rows_loaded: int = 0
    rows_quarantined: int = 0  # loaded rows flagged _quarantined
    problems: int = 0  # rows written to raw.ingest_quarantine
    files_ignored: int = 0  # entries of the folder that are no batch
    seconds: float = 0.0
    ignored: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        text = (
            f"{self.entity}: {self.batches_loaded} batch(es) loaded ({self.rows_loaded} rows, "
            f"{self.rows_quarantined} quarantined), {self.batches_skipped} skipped, "
            f"{self.batches_rejected} rejected"
        )
        if self.rejected_total:
            text += f" ({self.rejected_total} rejected on record)"
        if self.rejections_withdrawn:
            text += f"; {self.rejections_withdrawn} rejected file(s) withdrawn"
        if self.ignored:
            text += f"; ignored (not .csv or .parquet): {', '.join(self.ignored)}"
        return f"{text}; {self.seconds:.1f} s"


def ingest_entity(
    workspace: Workspace,
    entity: Entity,
    *,
    connection: Warehouse | None = None,
) -> EntityIngestReport:
    """Load the new batches of one entity into ``raw``; skip loaded ones; record rejected ones.

    Raises LandingFileChangedError, before loading anything, if a loaded batch changed. A given
    ``connection`` must be to the warehouse and not inside a transaction; it is left open.
    """
    with _warehouse(workspace, connection) as con:
        return _ingest(con, workspace, entity)


def ingest_all(workspace: Workspace) -> list[EntityIngestReport]:
    """Ingest every entity of the registry through one connection.

    Every entity that can load is loaded; changed batches of any entity are then raised together
    as one LandingFileChangedError.
    """
    reports: list[EntityIngestReport] = []
    changed: list[tuple[str, datetime]] = []
    with _warehouse(workspace, None) as con:
        for ent in ENTITIES:
            try:
                reports.append(_ingest(con, workspace, ent))
            except LandingFileChangedError as exc:
                changed.extend(exc.changes)
    if changed:
        raise LandingFileChangedError(changed)
    return reports


@contextmanager
def _warehouse(workspace: Workspace, connection: Warehouse | None) -> Iterator[Warehouse]:
    """The given connection (left open), else a new one to the warehouse, closed on exit."""
    if connection is not None:
        _utc(connection)
        yield connection
        return
    con = connect(workspace)
    try:
        _utc(con)
        yield con
    finally:
        con.close()


def _utc(con: Warehouse) -> None:
    if con.engine == "duckdb":
        con.execute("SET TimeZone = 'UTC'")


@contextmanager
def _checker(con: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """Where a batch's values are checked: the warehouse itself on DuckDB, else an in-memory
    DuckDB (the checks read the file's rows, not the warehouse)."""
    if con.engine == "duckdb":
        yield con.duckdb
        return
    scratch = duckdb.connect(":memory:")
    try:
        scratch.execute("SET TimeZone = 'UTC'")
        yield scratch
    finally:
        scratch.close()


def _ingest(con: Warehouse, workspace: Workspace, ent: Entity) -> EntityIngestReport:
    started = time.perf_counter()
    listing = entity_batches(workspace, ent)
    report = EntityIngestReport(
        entity=ent.folder,
        table=f"{RAW_SCHEMA}.{ent.table}",
        batches_found=len(listing.batches),
        files_ignored=len(listing.ignored),
        ignored=listing.ignored,
    )
    ensure_tables(con, ent)
    records = batch_records(con, ent)

    # Every batch on record is hashed first: a changed loaded batch stops the entity.
    todo: list[tuple[BatchFile, BatchRecord | None]] = []
    changed: list[tuple[str, datetime]] = []
    for batch in listing.batches:
        known = records.get(batch.file)
        if known is None:
            todo.append((batch, None))
            continue
        if file_sha256(batch.path) == known.file_hash:
            report.batches_skipped += 1
        elif known.status == "loaded":
            changed.append((batch.file, known.loaded_at))
        else:
            todo.append((batch, known))  # a rejected batch replaced: read it again
    if changed:
        raise LandingFileChangedError(changed)
    present = {batch.file for batch in listing.batches}
    for file, known in records.items():
        if known.status == "rejected" and file not in present:
            forget_rejection(con, ent, file)  # the bad file was withdrawn: so is its problem
            report.rejections_withdrawn += 1

    raw_columns = table_columns(con, ent.table)
    replaced = {batch.file for batch, known in todo if known is not None}
    with _bulk_writes(con), _checker(con) as checker:
        for checked in read_ahead(ent, [batch for batch, _ in todo]):
            if checked.open_error is not None:
                raise IngestError(f"{checked.batch.file}: {checked.open_error}")
            try:
                if checked.table is not None:
                    stage_problems(checker, ent, checked)
                with con.transaction():
                    if checked.batch.file in replaced:
                        forget(con, ent, checked.batch.file)
                    if checked.table is None:
                        record_rejection(con, ent, checked)
                        report.batches_rejected += 1
                        report.problems += len(checked.rejection)
                    else:
                        rows, flagged, problems = _load(con, checker, ent, checked, raw_columns)
                        report.batches_loaded += 1
                        report.rows_loaded += rows
                        report.rows_quarantined += flagged
                        report.problems += problems
            finally:
                checker.execute(f"DROP TABLE IF EXISTS {PROBLEMS_TABLE}")
                unregister(checker)

    ((report.rejected_total,),) = con.execute(
        f"SELECT count(*) FROM {BATCHES_TABLE} WHERE entity = ? AND status = 'rejected'",
        [ent.folder],
    ).fetchall()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _load(
    con: Warehouse,
    checker: duckdb.DuckDBPyConnection,
    ent: Entity,
    checked: CheckedBatch,
    raw_columns: set[str],
) -> tuple[int, int, int]:
    """Insert a checked batch's rows and problems; (rows, quarantined rows, problems).

    On DuckDB the rows go from the registered batch straight into raw (one statement); on a
    server they are assembled in the checking DuckDB and bulk-loaded (``append_arrow``).
    """
    assert checked.table is not None
    table = checked.table
    delivered = [n for n in table.column_names if n != ROW_NUMBER]
    extras = [n for n in delivered if n not in raw_columns]
    for name in extras:
        con.add_column(f"{RAW_SCHEMA}.{ent.table}", quote_identifier(name), "VARCHAR")
        raw_columns.add(name)
    ((problems, flagged),) = checker.execute(
        f"SELECT count(*), count(DISTINCT _row_number) FROM {PROBLEMS_TABLE}"
    ).fetchall()
    loaded_at = now()
    quarantined_sql = (
        f"b.{ROW_NUMBER} IN (SELECT _row_number FROM {PROBLEMS_TABLE})" if problems else "false"
    )
    rows_sql = f"""
        SELECT b.*, ?::VARCHAR AS _file, ?::VARCHAR AS _file_hash,
               ?::TIMESTAMP AS _loaded_at, {quarantined_sql} AS _quarantined
        FROM {BATCH_VIEW} AS b
        """
    problems_sql = f"""
        SELECT ? AS entity, ? AS _file, _row_number, column_name, value, reason, record_key,
               ? AS _file_hash, ?::TIMESTAMP AS _loaded_at
        FROM {PROBLEMS_TABLE} ORDER BY _row_number, column_position
        """
    batch_values = [checked.batch.file, checked.file_hash, loaded_at]
    problem_values = [ent.folder, checked.batch.file, checked.file_hash, loaded_at]
    if con.engine == "duckdb":
        con.execute(f"INSERT INTO {RAW_SCHEMA}.{ent.table} BY NAME {rows_sql}", batch_values)
        if problems:
            con.execute(f"INSERT INTO {QUARANTINE_TABLE} {problems_sql}", problem_values)
    else:
        # on Spark (no transaction) the batch's partitions are replaced: a batch whose record
        # was not written (a crash) is written again whole, never twice
        rows = checker.sql(rows_sql, params=batch_values).to_arrow_table()
        con.append_arrow(f"{RAW_SCHEMA}.{ent.table}", rows, replace_partitions=True)
        if problems:
            found = checker.sql(problems_sql, params=problem_values).to_arrow_table()
            con.append_arrow(QUARANTINE_TABLE, found, replace_partitions=True)
    message = []
    if flagged:
        message.append(
            f"{flagged} of {table.num_rows} rows hold values that do not parse "
            "(listed in raw.ingest_quarantine)"
        )
    if extras:
        message.append(f"extra columns kept: {', '.join(extras)}")
    record_batch(
        con, ent, checked, "loaded", table.num_rows, flagged, "; ".join(message), loaded_at
    )
    return table.num_rows, flagged, problems


@contextmanager
def _bulk_writes(con: Warehouse) -> Iterator[None]:
    """Settings for a bulk load into DuckDB, restored afterwards (nothing on a server).

    One checkpoint at the end instead of one after nearly every batch (about twice as fast), and
    one DuckDB thread fewer than cores, since the reader thread keeps one core busy.
    """
    if con.engine != "duckdb":
        yield
        return
    ((threshold, threads),) = con.execute(
        "SELECT current_setting('checkpoint_threshold'), current_setting('threads')"
    ).fetchall()
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute(f"SET threads = {max(1, min(int(threads), (os.cpu_count() or 2) - 1))}")
    try:
        yield
    finally:
        con.execute(f"SET checkpoint_threshold = {quote_literal(threshold)}")
        con.execute(f"SET threads = {int(threads)}")
    con.execute("CHECKPOINT")
