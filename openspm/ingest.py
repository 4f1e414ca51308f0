"""Ingestion: landing batches copied as delivered into the warehouse schema ``raw``.

The layout of what is written (``raw.<system>__<entity>``, ``raw.ingest_quarantine``,
``raw.ingest_batches``) and the parsing rule of every column type are specified in
``docs/raw-layer.md``. Values are checked set-based in DuckDB: one query per batch yields every
(row, column, value, reason) problem. Each batch loads in one transaction.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from integrations.file_drop import (
    ROW_NUMBER,
    BatchFile,
    BatchListing,
    BatchReadError,
    bytes_sha256,
    file_sha256,
    list_batches,
    read_batch,
)
from openspm.entities import ENTITIES, Column, ColumnType, Entity
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
EMPTY_REQUIRED = "empty value in required column"
_BATCH_VIEW = "landing_batch"
_PROBLEMS_TABLE = "landing_batch_problems"


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


@dataclass(frozen=True)
class _BatchRecord:
    file_hash: str
    status: str
    loaded_at: datetime


@dataclass
class _Checked:
    """One batch read and checked: its table (if readable) and its problems or rejection."""

    batch: BatchFile
    file_hash: str
    size: int
    table: pa.Table | None = None
    rows: int | None = None  # data rows read (None if the file could not be read)
    rejection: list[Problem] = field(default_factory=list)
    message: str = ""
    open_error: str | None = None  # the file could not even be opened (nothing to record)


# ------------------------------------------------------------------------------------ public API


def ingest_entity(
    workspace: Workspace,
    entity: Entity,
    *,
    connection: duckdb.DuckDBPyConnection | None = None,
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


def check_landing(workspace: Workspace) -> list[Problem]:
    """Every problem ingestion would record or raise for the landing data; writes nothing.

    Every batch is read and checked (also those loaded earlier, whose problems still stand).
    If the warehouse exists and can be opened read-only, loaded batches that changed are
    reported too. The warehouse file is never created.
    """
    problems: list[Problem] = []
    records = _read_records_if_possible(workspace.warehouse_path)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for ent in ENTITIES:
            for checked in _read_ahead(ent, _listing(workspace, ent).batches):
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
                    _validate(con, ent, checked)
                    problems.extend(_fetch_problems(con, ent, batch))
                    con.execute(f"DROP TABLE IF EXISTS {_PROBLEMS_TABLE}")
                    _unregister(con)
    finally:
        con.close()
    return problems


# ------------------------------------------------------------------------------------ ingestion


@contextmanager
def _warehouse(
    workspace: Workspace, connection: duckdb.DuckDBPyConnection | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The given connection (left open), else a new one to the warehouse, closed on exit."""
    if connection is not None:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection
        return
    path = workspace.warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def _listing(workspace: Workspace, ent: Entity) -> BatchListing:
    return list_batches(workspace.entity_dir(ent.system, ent.name), ent.folder)


def _ingest(
    con: duckdb.DuckDBPyConnection, workspace: Workspace, ent: Entity
) -> EntityIngestReport:
    started = time.perf_counter()
    listing = _listing(workspace, ent)
    report = EntityIngestReport(
        entity=ent.folder,
        table=f"{RAW_SCHEMA}.{ent.table}",
        batches_found=len(listing.batches),
        files_ignored=len(listing.ignored),
        ignored=listing.ignored,
    )
    _ensure_tables(con, ent)
    records = _records(con, ent)

    # Every batch on record is hashed first: a changed loaded batch stops the entity.
    todo: list[tuple[BatchFile, _BatchRecord | None]] = []
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
            _forget_rejection(con, ent, file)  # the bad file was withdrawn: so is its problem
            report.rejections_withdrawn += 1

    raw_columns = _table_columns(con, ent.table)
    replaced = {batch.file for batch, known in todo if known is not None}
    with _bulk_writes(con):
        for checked in _read_ahead(ent, [batch for batch, _ in todo]):
            if checked.open_error is not None:
                raise IngestError(f"{checked.batch.file}: {checked.open_error}")
            try:
                if checked.table is not None:
                    _validate(con, ent, checked)
                con.execute("BEGIN TRANSACTION")
                if checked.batch.file in replaced:
                    _forget(con, ent, checked.batch.file)
                if checked.table is None:
                    _record_rejection(con, ent, checked)
                    report.batches_rejected += 1
                    report.problems += len(checked.rejection)
                else:
                    rows, flagged, problems = _load(con, ent, checked, raw_columns)
                    report.batches_loaded += 1
                    report.rows_loaded += rows
                    report.rows_quarantined += flagged
                    report.problems += problems
                con.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
            finally:
                con.execute(f"DROP TABLE IF EXISTS {_PROBLEMS_TABLE}")
                _unregister(con)

    ((report.rejected_total,),) = con.execute(
        f"SELECT count(*) FROM {BATCHES_TABLE} WHERE entity = ? AND status = 'rejected'",
        [ent.folder],
    ).fetchall()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _ensure_tables(con: duckdb.DuckDBPyConnection, ent: Entity) -> None:
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
            f"{_ident(column.name)} VARCHAR"
        )


def _records(con: duckdb.DuckDBPyConnection, ent: Entity) -> dict[str, _BatchRecord]:
    rows = con.execute(
        f"SELECT _file, _file_hash, status, _loaded_at FROM {BATCHES_TABLE} WHERE entity = ?",
        [ent.folder],
    ).fetchall()
    return {
        file: _BatchRecord(file_hash, status, loaded) for file, file_hash, status, loaded in rows
    }


def _read_records_if_possible(path: Path) -> dict[str, _BatchRecord]:
    """Batch records of an existing warehouse, read-only; empty if absent or locked."""
    if not path.is_file():
        return {}
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return {}  # another process writes it now; the changed-file check is left to ingestion
    try:
        rows: list[tuple[str, str, str, datetime]] = []
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() "
            "WHERE schema_name = ? AND table_name = 'ingest_batches'",
            [RAW_SCHEMA],
        ).fetchall()[0][0]
        if exists:
            rows = con.execute(
                f"SELECT _file, _file_hash, status, _loaded_at FROM {BATCHES_TABLE}"
            ).fetchall()
        return {f: _BatchRecord(h, s, at) for f, h, s, at in rows}
    finally:
        con.close()


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
        [RAW_SCHEMA, table],
    ).fetchall()
    return {name for (name,) in rows}


def _forget(con: duckdb.DuckDBPyConnection, ent: Entity, file: str) -> None:
    """Remove a rejected batch's record and quarantine rows (in the caller's transaction)."""
    for table in (QUARANTINE_TABLE, BATCHES_TABLE):
        con.execute(f"DELETE FROM {table} WHERE entity = ? AND _file = ?", [ent.folder, file])


def _forget_rejection(con: duckdb.DuckDBPyConnection, ent: Entity, file: str) -> None:
    """Forget a rejected batch whose file left the landing folder, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        _forget(con, ent, file)
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _record_rejection(con: duckdb.DuckDBPyConnection, ent: Entity, checked: _Checked) -> None:
    at = _now()
    con.executemany(
        f"INSERT INTO {QUARANTINE_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (ent.folder, p.file, p.row, p.column, p.value, p.reason, None, checked.file_hash, at)
            for p in checked.rejection
        ],
    )
    _record_batch(con, ent, checked, "rejected", checked.rows, 0, checked.message, at)


def _record_batch(
    con: duckdb.DuckDBPyConnection,
    ent: Entity,
    checked: _Checked,
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


def _load(
    con: duckdb.DuckDBPyConnection, ent: Entity, checked: _Checked, raw_columns: set[str]
) -> tuple[int, int, int]:
    """Insert a checked batch's rows and problems; (rows, quarantined rows, problems)."""
    assert checked.table is not None
    table = checked.table
    delivered = [n for n in table.column_names if n != ROW_NUMBER]
    extras = [n for n in delivered if n not in raw_columns]
    for name in extras:
        con.execute(f"ALTER TABLE {RAW_SCHEMA}.{ent.table} ADD COLUMN {_ident(name)} VARCHAR")
        raw_columns.add(name)
    ((problems, flagged),) = con.execute(
        f"SELECT count(*), count(DISTINCT _row_number) FROM {_PROBLEMS_TABLE}"
    ).fetchall()
    loaded_at = _now()
    quarantined_sql = (
        f"b.{ROW_NUMBER} IN (SELECT _row_number FROM {_PROBLEMS_TABLE})" if problems else "false"
    )
    con.execute(
        f"""
        INSERT INTO {RAW_SCHEMA}.{ent.table} BY NAME
        SELECT b.*, ?::VARCHAR AS _file, ?::VARCHAR AS _file_hash,
               ?::TIMESTAMP AS _loaded_at, {quarantined_sql} AS _quarantined
        FROM {_BATCH_VIEW} AS b
        """,
        [checked.batch.file, checked.file_hash, loaded_at],
    )
    if problems:
        con.execute(
            f"""
            INSERT INTO {QUARANTINE_TABLE}
            SELECT ?, ?, _row_number, column_name, value, reason, record_key, ?, ?
            FROM {_PROBLEMS_TABLE} ORDER BY _row_number, column_position
            """,
            [ent.folder, checked.batch.file, checked.file_hash, loaded_at],
        )
    message = []
    if flagged:
        message.append(
            f"{flagged} of {table.num_rows} rows hold values that do not parse "
            "(listed in raw.ingest_quarantine)"
        )
    if extras:
        message.append(f"extra columns kept: {', '.join(extras)}")
    _record_batch(
        con, ent, checked, "loaded", table.num_rows, flagged, "; ".join(message), loaded_at
    )
    return table.num_rows, flagged, problems


def _unregister(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):
        con.unregister(_BATCH_VIEW)


# ------------------------------------------------------------------------------------- checking


def _read(ent: Entity, batch: BatchFile) -> _Checked:
    """Read one batch and check its header (no warehouse work: runs in a reader thread)."""
    try:
        data = batch.path.read_bytes()
    except OSError as exc:
        return _Checked(batch, "", 0, open_error=f"cannot open the file: {exc.strerror}")
    checked = _Checked(batch, bytes_sha256(data), len(data))
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


def _read_ahead(ent: Entity, batches: Sequence[BatchFile]) -> Iterator[_Checked]:
    """The batches read in order, the next one read in a thread while the caller works."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="openspm-read") as pool:
        pending: deque[Future[_Checked]] = deque()
        for batch in batches:
            pending.append(pool.submit(_read, ent, batch))
            if len(pending) > 1:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _validate(con: duckdb.DuckDBPyConnection, ent: Entity, checked: _Checked) -> None:
    """Register the batch as a view and put its problems into a temp table."""
    assert checked.table is not None
    con.register(_BATCH_VIEW, checked.table)
    sql = _problems_sql(ent, checked.table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_PROBLEMS_TABLE} AS {sql}")


@contextmanager
def _bulk_writes(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Settings for a bulk load, restored afterwards.

    One checkpoint at the end instead of one after nearly every batch (about twice as fast), and
    one DuckDB thread fewer than cores, since the reader thread keeps one core busy.
    """
    ((threshold, threads),) = con.execute(
        "SELECT current_setting('checkpoint_threshold'), current_setting('threads')"
    ).fetchall()
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute(f"SET threads = {max(1, min(int(threads), (os.cpu_count() or 2) - 1))}")
    try:
        yield
    finally:
        con.execute(f"SET checkpoint_threshold = {_literal(threshold)}")
        con.execute(f"SET threads = {int(threads)}")
    con.execute("CHECKPOINT")


def _fetch_problems(con: duckdb.DuckDBPyConnection, ent: Entity, batch: BatchFile) -> list[Problem]:
    rows = con.execute(
        f"SELECT _row_number, column_name, value, reason, record_key FROM {_PROBLEMS_TABLE} "
        "ORDER BY _row_number, column_position"
    ).fetchall()
    return [
        Problem(ent.folder, batch.file, reason, row=row, column=column, value=value, record_key=key)
        for row, column, value, reason, key in rows
    ]


def _problems_sql(ent: Entity, table: pa.Table) -> str:
    """One query over the registered batch yielding every value that does not parse."""
    present = set(table.column_names)
    key = " || '|' || ".join(f"coalesce({_ident(k)}, '')" for k in ent.key)
    branches = []
    for position, column in enumerate(ent.columns):
        if column.name not in present:
            continue
        reason = _reason_sql(column)
        if reason is None:
            continue
        branches.append(
            f"SELECT {ROW_NUMBER} AS _row_number, {position} AS column_position, "
            f"{_literal(column.name)} AS column_name, {_ident(column.name)} AS value, "
            f"{key} AS record_key, {reason} AS reason FROM {_BATCH_VIEW}"
        )
    if not branches:
        return (
            "SELECT NULL::BIGINT AS _row_number, NULL::INTEGER AS column_position, "
            "NULL::VARCHAR AS column_name, NULL::VARCHAR AS value, NULL::VARCHAR AS record_key, "
            "NULL::VARCHAR AS reason WHERE false"
        )
    return f"SELECT * FROM ({' UNION ALL '.join(branches)}) WHERE reason IS NOT NULL"


def _reason_sql(column: Column) -> str | None:
    """A CASE expression giving the reason a value of ``column`` fails, else NULL.

    Every type but string ignores surrounding blanks (spaces), as staging's casts trim them;
    values without blanks at either end (nearly all) skip the trimming.
    """
    v = _ident(column.name)
    allows_empty = column.nullable or not column.required
    empty_reason = "NULL" if allows_empty else _literal(EMPTY_REQUIRED)
    if column.type == ColumnType.STRING:
        return (
            None if allows_empty else f"(CASE WHEN coalesce({v}, '') = '' THEN {empty_reason} END)"
        )
    padded = f"(prefix({v}, ' ') OR suffix({v}, ' '))"
    return (
        f"(CASE WHEN {v} IS NULL THEN {empty_reason} "
        f"WHEN {padded} THEN {_checks_sql(column, f'trim({v})', empty_reason)} "
        f"ELSE {_checks_sql(column, v, empty_reason)} END)"
    )


def _checks_sql(column: Column, t: str, empty_reason: str) -> str:
    """CASE over a non-NULL value expression ``t`` of a typed column: its reason, else NULL."""
    checks: list[tuple[str, str | None]] = []  # (condition, reason or None: the value is good)
    kind = column.type
    if kind in (ColumnType.BOOLEAN, ColumnType.ENUM):
        if kind == ColumnType.BOOLEAN:
            allowed = ("true", "false", "1", "0")
            reason = "not a boolean (expected true, false, 1 or 0)"
        else:
            allowed = tuple(x.lower() for x in column.values)
            reason = f"not one of {', '.join(column.values)}"
        listed = ", ".join(_literal(x) for x in allowed)
        checks += [(f"{t} IN ({listed})", None), (f"lower({t}) NOT IN ({listed})", reason)]
    elif kind == ColumnType.DATE:
        checks += [
            (
                f"NOT regexp_full_match({t}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')",
                "not a date (expected YYYY-MM-DD)",
            ),
            (f"TRY_CAST({t} AS DATE) IS NULL OR {t} < '0001'", "not a real calendar date"),
        ]
    elif kind == ColumnType.TIMESTAMP:
        pattern = (
            "\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:\\d{2})?)?"
        )
        checks += [
            (
                f"NOT regexp_full_match({t}, '{pattern}')",
                "not a timestamp (expected ISO 8601, e.g. 2025-01-31T14:05:00Z)",
            ),
            (f"TRY_CAST({t} AS TIMESTAMPTZ) IS NULL OR {t} < '0001'", "not a real date and time"),
        ]
    elif kind == ColumnType.DECIMAL:
        scale, whole = column.scale, column.precision - column.scale
        dot = f"strpos({t}, '.')"
        digits_before = f"(CASE WHEN {dot} > 0 THEN {dot} - 1 ELSE strlen({t}) END)"
        checks += [
            (
                f"NOT regexp_full_match({t}, '-?\\d+(\\.\\d+)?')",
                "not a decimal number (expected digits with an optional '.' and decimals, "
                "e.g. -1234.50; no thousands separators or exponents)",
            ),
            (
                # trailing zeros beyond the scale lose nothing and are admitted
                f"{dot} > 0 AND strlen({t}) - {dot} > {scale} "
                f"AND strlen(rtrim({t}, '0')) - {dot} > {scale}",
                f"more than {scale} decimal places",
            ),
            (
                f"{digits_before} > {whole} "
                f"AND strlen(ltrim(regexp_extract({t}, '^-?(\\d+)', 1), '0')) > {whole}",
                f"too many digits (at most {whole} before the decimal point)",
            ),
        ]
    elif kind == ColumnType.INTEGER:
        checks += [
            (f"NOT regexp_full_match({t}, '-?\\d+')", "not a whole number"),
            (
                f"TRY_CAST({t} AS INTEGER) IS NULL",
                "whole number out of range (more than 2147483647 in size)",
            ),
        ]
    elif kind == ColumnType.CURRENCY:
        checks.append(
            (
                f"NOT regexp_full_match({t}, '[A-Za-z]{{3}}')",
                "not a currency code (expected three letters, e.g. USD)",
            )
        )
    else:  # pragma: no cover - a new ColumnType must get its rule here
        raise NotImplementedError(f"no parsing rule for column type {kind}")
    whens = "".join(
        f" WHEN {cond} THEN {'NULL' if reason is None else _literal(reason)}"
        for cond, reason in checks
    )
    return f"(CASE WHEN {t} = '' THEN {empty_reason}{whens} END)"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
