"""The raw schema's ledger: the raw tables, and the record of every batch loaded or rejected.

``raw.ingest_batches`` holds one row per batch file (its hash, status and load time);
``raw.ingest_quarantine`` every value that did not parse and every whole-file rejection
(``docs/raw-layer.md``). Functions here run inside the caller's transaction unless they say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from integrations.file_drop import ROW_NUMBER
from openspm.entities import Entity
from openspm.ingest.batches import CheckedBatch
from openspm.warehouse import quote_identifier, table_exists

RAW_SCHEMA = "raw"
BATCHES_TABLE = f"{RAW_SCHEMA}.ingest_batches"
QUARANTINE_TABLE = f"{RAW_SCHEMA}.ingest_quarantine"
METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_file", "VARCHAR"),
    (ROW_NUMBER, "BIGINT"),
    ("_file_hash", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
    ("_quarantined", "BOOLEAN"),
)

class IngestError(RuntimeError):
    """Ingestion cannot proceed; the message says why in one line."""


class LandingFileChangedError(IngestError):
    """A batch that was loaded earlier has different bytes now; nothing of its entity loads."""

    def __init__(self, changes: Sequence[tuple[str, datetime]]) -> None:
        self.changes = tuple(changes)  # (file, loaded at in UTC)
        self.files = tuple(file for file, _ in changes)
        described = "; ".join(
            f"{file} changed after it was loaded on {loaded:%Y-%m-%d %H:%M:%S} UTC"
            for file, loaded in changes
        )
        super().__init__(
            f"{described}. Loaded landing files must not be edited: restore the original and "
            "deliver changes as a new batch file (a new file name, which sorts after the old one)"
        )


@dataclass(frozen=True)
class BatchRecord:
    """A batch on record in raw.ingest_batches."""

    file_hash: str
    status: str
    loaded_at: datetime


def ensure_tables(con: duckdb.DuckDBPyConnection, ent: Entity) -> None:
    """Schema raw, the batch and quarantine tables and the entity's raw table, if missing."""
    entity_columns = [f'"{c.name}" VARCHAR' for c in ent.columns]
    entity_columns += [f'"{name}" {kind}' for name, kind in METADATA_COLUMNS]
    con.execute(
        f"""
        CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA};
        CREATE TABLE IF NOT EXISTS {BATCHES_TABLE} (
            entity VARCHAR NOT NULL,
            _file VARCHAR NOT NULL,
            _file_hash VARCHAR NOT NULL,
            file_size BIGINT NOT NULL,
            file_format VARCHAR NOT NULL,
            row_count BIGINT,
            quarantined_rows BIGINT NOT NULL,
            status VARCHAR NOT NULL,
            message VARCHAR,
            _loaded_at TIMESTAMP NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
            entity VARCHAR NOT NULL,
            _file VARCHAR NOT NULL,
            _row_number BIGINT,
            column_name VARCHAR,
            value VARCHAR,
            reason VARCHAR NOT NULL,
            record_key VARCHAR,
            _file_hash VARCHAR NOT NULL,
            _loaded_at TIMESTAMP NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{ent.table} ({", ".join(entity_columns)});
        """
    )
    for column in ent.columns:  # a registry column added since the table was created
        con.execute(
            f"ALTER TABLE {RAW_SCHEMA}.{ent.table} ADD COLUMN IF NOT EXISTS "
            f"{quote_identifier(column.name)} VARCHAR"
        )


def batch_records(con: duckdb.DuckDBPyConnection, ent: Entity) -> dict[str, BatchRecord]:
    rows = con.execute(
        f"SELECT _file, _file_hash, status, _loaded_at FROM {BATCHES_TABLE} WHERE entity = ?",
        [ent.folder],
    ).fetchall()
    return {
        file: BatchRecord(file_hash, status, loaded) for file, file_hash, status, loaded in rows
    }


def read_records_if_possible(path: Path) -> dict[str, BatchRecord]:
    """Batch records of an existing warehouse, read-only; empty if absent or locked."""
    if not path.is_file():
        return {}
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return {}  # another process writes it now; the changed-file check is left to ingestion
    try:
        rows: list[tuple[str, str, str, datetime]] = []
        if table_exists(con, BATCHES_TABLE):
            rows = con.execute(
                f"SELECT _file, _file_hash, status, _loaded_at FROM {BATCHES_TABLE}"
            ).fetchall()
        return {f: BatchRecord(h, s, at) for f, h, s, at in rows}
    finally:
        con.close()


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
        [RAW_SCHEMA, table],
    ).fetchall()
    return {name for (name,) in rows}


def forget(con: duckdb.DuckDBPyConnection, ent: Entity, file: str) -> None:
    """Remove a rejected batch's record and quarantine rows (in the caller's transaction)."""
    for table in (QUARANTINE_TABLE, BATCHES_TABLE):
        con.execute(f"DELETE FROM {table} WHERE entity = ? AND _file = ?", [ent.folder, file])


def forget_rejection(con: duckdb.DuckDBPyConnection, ent: Entity, file: str) -> None:
    """Forget a rejected batch whose file left the landing folder, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        forget(con, ent, file)
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_rejection(con: duckdb.DuckDBPyConnection, ent: Entity, checked: CheckedBatch) -> None:
    at = now()
    con.executemany(
        f"INSERT INTO {QUARANTINE_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (ent.folder, p.file, p.row, p.column, p.value, p.reason, None, checked.file_hash, at)
            for p in checked.rejection
        ],
    )
    record_batch(con, ent, checked, "rejected", checked.rows, 0, checked.message, at)


def record_batch(
    con: duckdb.DuckDBPyConnection,
    ent: Entity,
    checked: CheckedBatch,
    status: str,
    row_count: int | None,
    quarantined: int,
    message: str | None,
    loaded_at: datetime,
) -> None:
    con.execute(
        f"INSERT INTO {BATCHES_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ent.folder,
            checked.batch.file,
            checked.file_hash,
            checked.size,
            checked.batch.format,
            row_count,
            quarantined,
            status,
            message or None,
            loaded_at,
        ],
    )
