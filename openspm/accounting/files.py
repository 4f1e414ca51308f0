"""A closed month's accounting files, written from ``finance.*`` only (docs/accounting.md).

- ``journal-entries.csv``: one row per journal line in the layout general-ledger imports take:
  journal date (the month's last day), a stable entry id, line number, account, debit and
  credit in separate columns (the unused side empty), currency, a memo naming the deal, the
  employee or the month's total, and the run that published it;
- ``deferred-commissions.csv``: the month's roll-forward, one row per asset.

Both read only published tables, so they can be written again at any time (a missing file is
rebuilt the same). Each file is written to a temporary name and moved into place.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from openspm.money import money
from openspm.periods import month_bounds, parse_period

JOURNAL_FILE = "journal-entries.csv"
ROLLFORWARD_FILE = "deferred-commissions.csv"
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
ROLLFORWARD_COLUMNS = (
    "period",
    "asset_id",
    "deal_id",
    "employee_id",
    "currency",
    "opening",
    "addition",
    "write_down",
    "amortization",
    "impairment",
    "closing",
    "current_portion",
    "noncurrent_portion",
)


def write_journal_entries_csv(
    connection: duckdb.DuckDBPyConnection, period: str, folder: Path
) -> Path:
    """``folder/journal-entries.csv`` from finance.journal_entries of ``period``."""
    period = parse_period(period)
    _, month_end = month_bounds(period)
    rows = connection.execute(
        "SELECT entry_id, line, account, debit, credit, currency, memo, entry_type, deal_id, "
        "employee_id, run_id FROM finance.journal_entries WHERE period = ? "
        "ORDER BY entry_id, line",
        [period],
    ).fetchall()
    body = (
        (
            month_end.isoformat(),
            entry_id,
            line,
            account,
            _side(debit),
            _side(credit),
            currency,
            memo,
            entry_type,
            deal_id,
            employee_id,
            run_id,
        )
        for entry_id, line, account, debit, credit, currency, memo, entry_type, deal_id,
        employee_id, run_id in rows
    )
    return _write_csv(folder / JOURNAL_FILE, JOURNAL_COLUMNS, body)


def write_deferred_commissions_csv(
    connection: duckdb.DuckDBPyConnection, period: str, folder: Path
) -> Path:
    """``folder/deferred-commissions.csv`` from finance.deferred_commissions of ``period``."""
    period = parse_period(period)
    rows = connection.execute(
        f"SELECT {', '.join(ROLLFORWARD_COLUMNS)} FROM finance.deferred_commissions "
        "WHERE period = ? ORDER BY asset_id",
        [period],
    ).fetchall()
    body = ((*row[:5], *(money(v) for v in row[5:])) for row in rows)
    return _write_csv(folder / ROLLFORWARD_FILE, ROLLFORWARD_COLUMNS, body)


def write_accounting_files(
    connection: duckdb.DuckDBPyConnection, period: str, folder: Path
) -> list[Path]:
    """Both files of a published month into ``folder`` (normally ``out/<period>/``)."""
    return [
        write_journal_entries_csv(connection, period, folder),
        write_deferred_commissions_csv(connection, period, folder),
    ]


def _side(amount: Any) -> str:
    """A debit or credit cell: the amount, empty when this side of the line is not used."""
    return money(amount) if amount else ""


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
