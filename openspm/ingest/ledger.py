"""The raw schema's ledger: the raw tables, and the record of every batch loaded or rejected.

``raw.ingest_batches`` holds one row per batch file (its hash, status and load time);
``raw.ingest_quarantine`` every value that did not parse and every whole-file rejection
(``docs/raw-layer.md``). Functions here run inside the caller's transaction unless they say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from integrations.file_drop import ROW_NUMBER
from openspm.entities import Entity
from openspm.ingest.batches import CheckedBatch
from openspm.warehouse import Warehouse, WarehouseError, quote_identifier, read_only

if TYPE_CHECKING:
    from openspm.workspace import Workspace

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


BATCHES_COLUMNS = (
    "entity VARCHAR NOT NULL",
    "_file VARCHAR NOT NULL",
    "_file_hash VARCHAR NOT NULL",
    "file_size BIGINT NOT NULL",
    "file_format VARCHAR NOT NULL",
    "row_count BIGINT",
    "quarantined_rows BIGINT NOT NULL",
    "status VARCHAR NOT NULL",
    "message VARCHAR",
    "_loaded_at TIMESTAMP NOT NULL",
)
QUARANTINE_COLUMNS = (
    "entity VARCHAR NOT NULL",
    "_file VARCHAR NOT NULL",
    "_row_number BIGINT",
    "column_name VARCHAR",
    "value VARCHAR",
    "reason VARCHAR NOT NULL",
    "record_key VARCHAR",
    "_file_hash VARCHAR NOT NULL",
    "_loaded_at TIMESTAMP NOT NULL",
)


def ensure_tables(con: Warehouse, ent: Entity) -> None:
    """Schema raw, the batch and quarantine tables and the entity's raw table, if missing."""
    entity_columns = [f"{quote_identifier(c.name)} VARCHAR" for c in ent.columns]
    entity_columns += [f"{quote_identifier(name)} {kind}" for name, kind in METADATA_COLUMNS]
    con.create_schema(RAW_SCHEMA)
    con.create_table(BATCHES_TABLE, BATCHES_COLUMNS)
    # partitioned by file (on Spark: a batch written twice replaces its own partition)
    con.create_table(QUARANTINE_TABLE, QUARANTINE_COLUMNS, partitioned_by=("_file",))
    table = f"{RAW_SCHEMA}.{ent.table}"
    con.create_table(table, entity_columns, partitioned_by=("_file",))
    present = set(con.columns(table))
    for column in ent.columns:  # a registry column added since the table was created
        if column.name not in present:
            con.add_column(table, quote_identifier(column.name), "VARCHAR")


def batch_records(con: Warehouse, ent: Entity) -> dict[str, BatchRecord]:
    rows = con.execute(
        f"SELECT _file, _file_hash, status, _loaded_at FROM {BATCHES_TABLE} WHERE entity = ?",
        [ent.folder],
    ).fetchall()
    return {
        file: BatchRecord(file_hash, status, loaded) for file, file_hash, status, loaded in rows
    }


def read_records_if_possible(workspace: Workspace) -> dict[str, BatchRecord]:
    """Batch records of an existing warehouse, read-only; empty if absent or locked."""
    try:
        with read_only(workspace) as con:
            rows: list[tuple[str, str, str, datetime]] = []
            if con is not None and con.table_exists(BATCHES_TABLE):
                rows = con.fetchall(
                    f"SELECT _file, _file_hash, status, _loaded_at FROM {BATCHES_TABLE}"
                )
    except WarehouseError:
        return {}  # another process writes it now; the changed-file check is left to ingestion
    return {f: BatchRecord(h, s, at) for f, h, s, at in rows}


def table_columns(con: Warehouse, table: str) -> set[str]:
    return set(con.columns(f"{RAW_SCHEMA}.{table}"))


def forget(con: Warehouse, ent: Entity, file: str) -> None:
    """Remove a rejected batch's record and quarantine rows (in the caller's transaction)."""
    for table in (QUARANTINE_TABLE, BATCHES_TABLE):
        con.execute(f"DELETE FROM {table} WHERE entity = ? AND _file = ?", [ent.folder, file])


def forget_rejection(con: Warehouse, ent: Entity, file: str) -> None:
    """Forget a rejected batch whose file left the landing folder, in one transaction."""
    with con.transaction():
        forget(con, ent, file)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_rejection(con: Warehouse, ent: Entity, checked: CheckedBatch) -> None:
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
    con: Warehouse,
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
