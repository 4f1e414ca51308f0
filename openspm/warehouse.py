"""Helpers over a connection to the warehouse that several packages share."""

from __future__ import annotations

import duckdb


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.name`` exists as a table or view."""
    schema, _, name = table.rpartition(".")
    row = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema or "main", name],
    ).fetchone()
    return bool(row and row[0])
