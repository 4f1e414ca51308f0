"""The warehouse file: opening it to read, the tables it holds, and quoting names in SQL.

One DuckDB file admits one writing process; readers open it read-only, which fails while
another process writes it (``WarehouseError`` then names the file and DuckDB's reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from openspm.workspace import Workspace


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened; the message names the file and the reason."""


@contextmanager
def read_only(workspace: Workspace) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the workspace's warehouse, or None while it does not exist."""
    path = workspace.warehouse_path
    if not path.exists():
        yield None
        return
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open the warehouse {path}: {exc}") from None
    try:
        yield connection
    finally:
        connection.close()


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.name`` exists as a table or view."""
    schema, _, name = table.rpartition(".")
    row = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema or "main", name],
    ).fetchone()
    return bool(row and row[0])


def missing_tables(connection: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> list[str]:
    """The tables of ``tables`` (``schema.name``) that the warehouse does not hold."""
    return [t for t in tables if not table_exists(connection, t)]


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier: ``a"b`` -> ``"a""b"``."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + text.replace("'", "''") + "'"
