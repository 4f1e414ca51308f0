"""One landing batch read and checked: its rows as text, and every value that does not parse.

Reading (``read_checked``) needs no warehouse and runs in a reader thread ahead of the caller
(``read_ahead``); checking (``stage_problems``) registers the batch with a DuckDB connection as
``landing_batch`` and puts its problems into the temp table ``landing_batch_problems``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from integrations.file_drop import (
    ROW_NUMBER,
    BatchFile,
    BatchListing,
    BatchReadError,
    bytes_sha256,
    list_batches,
    read_batch,
)
from openspm.entities import Entity
from openspm.ingest.parse_rules import problems_sql
from openspm.workspace import Workspace

BATCH_VIEW = "landing_batch"
PROBLEMS_TABLE = "landing_batch_problems"


def entity_batches(workspace: Workspace, ent: Entity) -> BatchListing:
    """The batches of ``ent`` in the workspace's landing folder (honouring ``landing_dir``)."""
    return list_batches(workspace.entity_dir(ent.system, ent.name), ent.folder)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with landing data, as ingestion records it in ``raw.ingest_quarantine``."""

    entity: str  # "crm/deals"
    file: str  # "crm/deals/deals_2025_01.csv"
    reason: str
    row: int | None = None  # 1-based data row; None for the whole file
    column: str | None = None
    value: str | None = None
    record_key: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.record_key:
            where += f" ({self.record_key})"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is not None:
            return f"{where}: value {self.value!r}: {self.reason}"
        return f"{where}: {self.reason}"


@dataclass
class CheckedBatch:
    """One batch read and checked: its table (if readable) and its problems or rejection."""

    batch: BatchFile
    file_hash: str
    size: int
    table: pa.Table | None = None
    rows: int | None = None  # data rows read (None if the file could not be read)
    rejection: list[Problem] = field(default_factory=list)
    message: str = ""
    open_error: str | None = None  # the file could not even be opened (nothing to record)



def read_checked(ent: Entity, batch: BatchFile) -> CheckedBatch:
    """Read one batch and check its header (no warehouse work: runs in a reader thread)."""
    try:
        data = batch.path.read_bytes()
    except OSError as exc:
        return CheckedBatch(batch, "", 0, open_error=f"cannot open the file: {exc.strerror}")
    checked = CheckedBatch(batch, bytes_sha256(data), len(data))
    try:
        table = read_batch(batch, data)
    except BatchReadError as exc:
        checked.rejection = [Problem(ent.folder, batch.file, exc.reason, row=exc.row)]
        checked.message = f"cannot be read: {exc.reason}"
        return checked
    checked.rows = table.num_rows
    present = set(table.column_names)
    missing = [c for c in ent.required_columns if c not in present]
    if missing:
        checked.rejection = [
            Problem(ent.folder, batch.file, "required column is missing from the file", column=c)
            for c in missing
        ]
        checked.message = (
            f"lacks required column(s) {', '.join(missing)} (the header has: "
            f"{', '.join(n for n in table.column_names if n != ROW_NUMBER)})"
        )
        return checked
    checked.table = table
    return checked


def read_ahead(ent: Entity, batches: Sequence[BatchFile]) -> Iterator[CheckedBatch]:
    """The batches read in order, the next one read in a thread while the caller works."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="openspm-read") as pool:
        pending: deque[Future[CheckedBatch]] = deque()
        for batch in batches:
            pending.append(pool.submit(read_checked, ent, batch))
            if len(pending) > 1:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def stage_problems(con: duckdb.DuckDBPyConnection, ent: Entity, checked: CheckedBatch) -> None:
    """Register the batch as a view and put its problems into a temp table."""
    assert checked.table is not None
    con.register(BATCH_VIEW, checked.table)
    sql = problems_sql(ent, set(checked.table.column_names), BATCH_VIEW)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PROBLEMS_TABLE} AS {sql}")


def fetch_problems(con: duckdb.DuckDBPyConnection, ent: Entity, batch: BatchFile) -> list[Problem]:
    rows = con.execute(
        f"SELECT _row_number, column_name, value, reason, record_key FROM {PROBLEMS_TABLE} "
        "ORDER BY _row_number, column_position"
    ).fetchall()
    return [
        Problem(ent.folder, batch.file, reason, row=row, column=column, value=value, record_key=key)
        for row, column, value, reason, key in rows
    ]


def unregister(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):
        con.unregister(BATCH_VIEW)
