"""The batches a check found clean, so that the next run only looks at the others.

Raw tables are append-only and a loaded batch never changes, so a batch a check found clean
stays clean for checks that look at a batch's own rows only: conflicting versions within a
batch, a won deal's amount and currency (given the same known currencies: the ``context``), a
close date not after today (today only moves forward). A nightly run then checks the new
batches and the ones that failed before, not the whole history.

Remembering is best effort: on a read-only connection (the close report) nothing is written
and the next run simply looks again. ``VERSION`` is part of the key: raise it when what a
check finds changes, and every batch is looked at again.
"""

from __future__ import annotations

from collections.abc import Iterable

from openspm.warehouse import DATABASE_ERRORS, Warehouse, table_exists

TABLE = "quality.clean_batches"
VERSION = 1


def clean_files(
    connection: Warehouse, check: str, source: str, context: str = ""
) -> list[str]:
    """The files of ``source`` (a raw table) that ``check`` found clean under ``context``."""
    if not table_exists(connection, TABLE):
        return []
    rows = connection.execute(
        f"SELECT file FROM {TABLE} WHERE check_name = ? AND source = ? AND context = ?",
        [_key(check), source, context],
    ).fetchall()
    return sorted(file for (file,) in rows)


def remember_clean(
    connection: Warehouse,
    check: str,
    source: str,
    files: Iterable[str],
    context: str = "",
) -> None:
    """Remember ``files`` as clean for ``check`` (nothing happens on a read-only connection)."""
    rows = [(_key(check), source, context, file) for file in sorted(set(files))]
    if not rows:
        return
    try:
        connection.create_schema("quality")
        connection.create_table(
            TABLE,
            (
                "check_name VARCHAR NOT NULL",
                "source VARCHAR NOT NULL",
                "context VARCHAR NOT NULL",
                "file VARCHAR NOT NULL",
            ),
        )
        known = set(clean_files(connection, check, source, context))
        new = [row for row in rows if row[3] not in known]
        if new:
            connection.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)", new)
    except DATABASE_ERRORS:
        return  # read-only: look again next time


def _key(check: str) -> str:
    return f"{check}@{VERSION}"
