"""A closed month's accounting files (docs/accounting.md), among the month's files.

- ``journal-entries.csv``: one row per journal line in the layout general-ledger imports take:
  journal date (the month's last day), a stable entry id, line number, account, debit and
  credit in separate columns (the unused side empty), currency, a memo naming the deal, the
  employee or the month's total, and the run that published it;
- ``deferred-commissions.csv``: the month's roll-forward, one row per asset.

Both read the relation the month's files are written from (``finance.*`` with the month's drafts
while the close stages them, ``finance.*`` alone when a published month's files are rebuilt), so
a rebuilt file is the same. DuckDB writes them (a million assets in seconds) to a temporary name
in the folder, then each is moved into place, so a reader never sees half a file. On a server
warehouse the rows are fetched and written by an in-memory DuckDB with the same column types,
so the file is byte for byte the one a DuckDB warehouse writes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from openspm.accounting.rollforward import MOVEMENTS
from openspm.periods import month_bounds, parse_period
from openspm.warehouse import Warehouse, quote_literal

JOURNAL_FILE = "journal-entries.csv"
ROLLFORWARD_FILE = "deferred-commissions.csv"
FILE_MODE = 0o600  # private, as every file of a closed month (statements, payroll)
JOURNAL_COLUMNS = (
    "journal_date",
    "entry_id",
    "line",
    "account",
    "debit",
    "credit",
    "currency",
    "memo",
    "entry_type",
    "deal_id",
    "employee_id",
    "run_id",
)
ROLLFORWARD_COLUMNS = ("period", "asset_id", "deal_id", "employee_id", "currency", *MOVEMENTS)
MONEY = pa.decimal128(18, 2)
# the files' column types, as finance.* holds them (a server warehouse's rows are typed so)
JOURNAL_TYPES = {"journal_date": pa.date32(), "line": pa.int32(), "debit": MONEY, "credit": MONEY}
ROLLFORWARD_TYPES = dict.fromkeys(MOVEMENTS, MONEY)


def write_journal_entries_csv(
    connection: Warehouse,
    period: str,
    folder: Path,
    relation: str = "finance.journal_entries as journal",
) -> Path:
    """``folder/journal-entries.csv`` from the journal lines of ``period`` in ``relation`` (a
    FROM item, named)."""
    period = parse_period(period)
    _, month_end = month_bounds(period)
    query = f"""
        SELECT DATE '{month_end.isoformat()}' AS journal_date, entry_id, line, account,
            nullif(debit, 0) AS debit, nullif(credit, 0) AS credit, currency, memo,
            entry_type, deal_id, employee_id, run_id
        FROM {relation}
        WHERE period = {quote_literal(period)}
        ORDER BY entry_id, line
    """
    return _copy_csv(connection, query, folder / JOURNAL_FILE, JOURNAL_COLUMNS, JOURNAL_TYPES)


def write_deferred_commissions_csv(
    connection: Warehouse,
    period: str,
    folder: Path,
    relation: str = "finance.deferred_commissions as rollforward",
) -> Path:
    """``folder/deferred-commissions.csv`` from the roll-forward of ``period`` in ``relation``
    (a FROM item, named)."""
    period = parse_period(period)
    query = (
        f"SELECT {', '.join(ROLLFORWARD_COLUMNS)} FROM {relation} "
        f"WHERE period = {quote_literal(period)} ORDER BY asset_id"
    )
    return _copy_csv(
        connection, query, folder / ROLLFORWARD_FILE, ROLLFORWARD_COLUMNS, ROLLFORWARD_TYPES
    )


def write_accounting_files(
    connection: Warehouse,
    period: str,
    folder: Path,
    relations: Mapping[str, str] | None = None,
) -> list[Path]:
    """Both files of ``period`` into ``folder``; ``relations`` maps a finance table to the
    relation to read instead (the month's drafts while a close stages its files)."""
    relations = relations or {}
    journal = relations.get("journal_entries", "finance.journal_entries as journal")
    rollforward = relations.get(
        "deferred_commissions", "finance.deferred_commissions as rollforward"
    )
    return [
        write_journal_entries_csv(connection, period, folder, journal),
        write_deferred_commissions_csv(connection, period, folder, rollforward),
    ]


def _copy_csv(
    connection: Warehouse,
    query: str,
    path: Path,
    columns: tuple[str, ...],
    types: Mapping[str, pa.DataType],
) -> Path:
    """The rows of ``query`` (``columns``) as a CSV with a header at ``path``, moved into place
    whole. DuckDB writes it from the warehouse, or from the fetched rows (``types``: the
    columns that are not text) on a server warehouse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    copy = f"TO {quote_literal(temp)} (FORMAT csv, HEADER, DELIMITER ',')"
    try:
        if connection.engine == "duckdb":
            connection.execute(f"COPY ({query}) {copy}")
        else:
            rows = connection.execute(query).fetchall()
            fetched = pa.table(
                {
                    name: pa.array([row[i] for row in rows], types.get(name, pa.string()))
                    for i, name in enumerate(columns)
                }
            )
            with duckdb.connect() as local:
                local.register("fetched", fetched)
                local.execute(f"COPY (SELECT * FROM fetched) {copy}")
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
