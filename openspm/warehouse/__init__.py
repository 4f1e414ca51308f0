"""The warehouse: where it is (``warehouse:`` of openspm.yaml), and the one interface to it.

``connect(workspace)`` opens the workspace's warehouse, whatever its engine: the embedded
DuckDB file (default), a PostgreSQL database or a Spark Connect endpoint
(docs/scaling.md). ``read_only(workspace)`` opens it for reading, or yields None while a DuckDB
warehouse does not exist yet. A DuckDB file admits one writing process; a reader opening it
while another process writes gets a ``WarehouseError`` naming the file and DuckDB's reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from openspm.warehouse.base import (
    DATABASE_ERRORS,
    Result,
    Warehouse,
    WarehouseError,
    quote_identifier,
    quote_literal,
    split_statements,
)
from openspm.warehouse.config import (
    DuckDBSettings,
    PostgresSettings,
    SparkSettings,
    WarehouseSecretError,
)
from openspm.warehouse.spark import SparkWarehouse
from openspm.warehouse.sql import DuckDBWarehouse, PostgresWarehouse

if TYPE_CHECKING:
    from openspm.workspace import Workspace

__all__ = [
    "DATABASE_ERRORS",
    "Result",
    "Warehouse",
    "WarehouseError",
    "connect",
    "describe",
    "duckdb_file",
    "exists",
    "missing_tables",
    "quote_identifier",
    "quote_literal",
    "read_only",
    "split_statements",
    "table_exists",
]


def describe(workspace: Workspace) -> str:
    """The warehouse in words: the DuckDB file, or the server's engine, host and database."""
    settings = workspace.warehouse_settings
    if isinstance(settings, PostgresSettings):
        return f"postgres://{settings.host}:{settings.port}/{settings.database}"
    if isinstance(settings, SparkSettings):
        return f"spark sc://{settings.host}:{settings.port}"
    return str(workspace.warehouse_path)


def exists(workspace: Workspace) -> bool:
    """Whether the warehouse can hold data yet (a server always can; a DuckDB file once made)."""
    if isinstance(workspace.warehouse_settings, DuckDBSettings):
        return workspace.warehouse_path.exists()
    return True


def connect(workspace: Workspace, *, read_only: bool = False) -> Warehouse:
    """The workspace's warehouse, opened (creating a DuckDB file and its folder if missing)."""
    settings = workspace.warehouse_settings
    try:
        if isinstance(settings, PostgresSettings):
            return PostgresWarehouse(settings.url(), describe(workspace))
        if isinstance(settings, SparkSettings):
            return SparkWarehouse(settings.remote(), describe(workspace))
    except WarehouseSecretError as exc:
        raise WarehouseError(str(exc)) from None
    path = workspace.warehouse_path
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBWarehouse(str(path), read_only=read_only)


@contextmanager
def read_only(workspace: Workspace) -> Iterator[Warehouse | None]:
    """A read-only connection to the workspace's warehouse, or None while it does not exist."""
    if not exists(workspace):
        yield None
        return
    warehouse = connect(workspace, read_only=True)
    try:
        yield warehouse
    finally:
        warehouse.close()


def duckdb_file(path: str | os.PathLike[str], *, read_only: bool = False) -> DuckDBWarehouse:
    """A DuckDB warehouse file opened directly (scratch copies, tests, benchmarks)."""
    return DuckDBWarehouse(str(path), read_only=read_only)


def table_exists(warehouse: Warehouse, table: str) -> bool:
    """Whether ``schema.name`` exists as a table or view."""
    return warehouse.table_exists(table)


def missing_tables(warehouse: Warehouse, tables: Iterable[str]) -> list[str]:
    """The tables of ``tables`` (``schema.name``) that the warehouse does not hold."""
    return warehouse.missing_tables(tables)
