"""The one interface Python code outside dbt uses to reach the warehouse, whatever the engine.

A :class:`Warehouse` runs SQL with ``?`` placeholders (``execute``, ``executemany``), fetches
rows and frames, opens transactions, creates tables from portable column definitions and
bulk-loads Arrow tables. DuckDB and PostgreSQL are reached through SQLAlchemy (duckdb_engine,
psycopg2), Spark through a PySpark (Spark Connect) session; what only one engine can do fast
(DuckDB's Arrow views and ``read_csv``) stays behind ``append_arrow`` and ``duckdb``.

Portable SQL, as the callers write it: ``cast(x as <type>)`` with the types of
:func:`Warehouse.sql_type`, no ``::``, ``qualify``, ``group by all``, ``insert or replace``,
``anti``/``semi`` joins or list functions (docs/scaling.md, "Python's SQL").
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or used; the message names it and the reason."""


class Result(Protocol):
    """What ``Warehouse.execute`` returns: a DB-API-like cursor over the statement's rows."""

    @property
    def description(self) -> Any: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...

    def df(self) -> pd.DataFrame: ...


_COLUMN = re.compile(r"^\s*(\"(?:[^\"]|\"\")+\"|\w+)\s+(.+?)\s*$", re.S)


def split_column(definition: str) -> tuple[str, str, bool]:
    """``"name TYPE [NOT NULL]"`` -> (name, TYPE, not_null)."""
    match = _COLUMN.match(definition)
    if match is None:
        raise ValueError(f"not a column definition: {definition!r}")
    name, rest = match.groups()
    not_null = bool(re.search(r"\bNOT\s+NULL\b", rest, re.I))
    kind = re.sub(r"\bNOT\s+NULL\b", "", rest, flags=re.I).strip()
    return name, kind, not_null


def split_statements(sql: str) -> list[str]:
    """The statements of a script separated by ``;`` (quotes respected; empty ones dropped)."""
    statements, current, quote = [], [], ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in ("'", '"'):
            quote = char
        elif char == ";":
            statements.append("".join(current))
            current = []
            continue
        current.append(char)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


class Warehouse(ABC):
    """A connection to the warehouse of one workspace (see the module docstring)."""

    engine: str = ""  # duckdb | postgres | spark
    transactional: bool = True  # multi-statement transactions (not on Spark)

    def __init__(self, name: str) -> None:
        self.name = name  # for messages: the file, or host/database

    # ------------------------------------------------------------------ statements

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        """Run one statement (or, without params, a script of several) with ``?`` markers."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for every row of parameters."""

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.fetchone(sql, params)
        return row[0] if row else None

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """The rows as an Arrow table (column types as the engine gives them)."""
        import pyarrow as pa

        result = self.execute(sql, params)
        names = [column[0] for column in result.description or ()]
        rows = result.fetchall()
        if not rows:
            return pa.table({name: pa.array([], pa.string()) for name in names})
        return pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in rows])

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """The rows as a pandas DataFrame (DECIMAL columns as float, as DuckDB gives them)."""
        return self.execute(sql, params).df()

    # ------------------------------------------------------------------ transactions

    in_transaction = False  # begin() was called and neither commit() nor rollback() since

    def begin(self) -> None:
        if self.in_transaction:
            raise WarehouseError(f"{self.name}: a transaction is already open")
        self._statement("BEGIN")
        self.in_transaction = True

    def commit(self) -> None:
        self._statement("COMMIT")
        self.in_transaction = False

    def rollback(self) -> None:
        self.in_transaction = False
        self._statement("ROLLBACK")

    def _statement(self, keyword: str) -> None:
        """BEGIN, COMMIT or ROLLBACK as the engine spells it."""
        self.execute(keyword)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around the block: committed at its end, rolled back on any error.

        On an engine without multi-statement transactions (Spark) the block runs as is; the
        callers that need atomicity there say how they get it (publication: a pointer row).
        """
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def lock_publication(self) -> None:  # noqa: B027 (a no-op unless an engine needs it)
        """Serialize publishers beyond the workspace lock (PostgreSQL: an advisory lock held
        until the transaction ends). Nothing to do where one process writes (DuckDB)."""

    # ------------------------------------------------------------------ catalogue

    @abstractmethod
    def tables(self, schema: str) -> set[str]:
        """The tables and views of ``schema``."""

    def table_exists(self, table: str) -> bool:
        """Whether ``schema.name`` exists as a table or view."""
        schema, _, name = table.rpartition(".")
        return name in self.tables(schema or self.default_schema)

    def missing_tables(self, tables: Iterable[str]) -> list[str]:
        return [t for t in tables if not self.table_exists(t)]

    @abstractmethod
    def columns(self, table: str) -> list[str]:
        """The column names of ``schema.name``, in order."""

    default_schema = "main"

    # ------------------------------------------------------------------ DDL

    def sql_type(self, kind: str) -> str:
        """A portable column type (VARCHAR, VARCHAR[], DECIMAL(p,s), DATE, TIMESTAMP, INTEGER,
        BIGINT, BOOLEAN) as this engine writes it."""
        return kind

    def cast(self, expression: str, kind: str) -> str:
        """``cast(<expression> as <kind>)`` with the engine's name of a portable type."""
        return f"cast({expression} as {self.sql_type(kind)})"

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition "``column`` is one of ``values``" with one parameter (a list), and its
        parameters; ``false`` for no values."""
        if not values:
            return "false", []
        return f"list_contains(?, {column})", [list(values)]

    def create_schema(self, schema: str) -> None:
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    def create_table(
        self,
        table: str,
        columns: Sequence[str],
        *,
        primary_key: Sequence[str] = (),
        partitioned_by: Sequence[str] = (),
        replace: bool = False,
    ) -> None:
        """``CREATE TABLE [IF NOT EXISTS]`` from ``"name TYPE [NOT NULL]"`` definitions.

        ``replace`` drops an existing table first (in the caller's transaction where there is
        one). ``partitioned_by`` only matters on Spark (Parquet folders), ``primary_key``
        everywhere but Spark.
        """
        if replace:
            self.execute(f"DROP TABLE IF EXISTS {table}")
        self.execute(self.create_table_sql(table, columns, primary_key, partitioned_by))

    def create_table_sql(
        self,
        table: str,
        columns: Sequence[str],
        primary_key: Sequence[str] = (),
        partitioned_by: Sequence[str] = (),
    ) -> str:
        parts = []
        for definition in columns:
            name, kind, not_null = split_column(definition)
            parts.append(f"{name} {self.sql_type(kind)}{' NOT NULL' if not_null else ''}")
        if primary_key:
            parts.append(f"PRIMARY KEY ({', '.join(primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(parts)})"

    def add_column(self, table: str, name: str, kind: str) -> None:
        """A nullable column added when missing."""
        self.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {self.sql_type(kind)}"
        )

    # ------------------------------------------------------------------ bulk

    @abstractmethod
    def append_arrow(self, table: str, data: pa.Table, *, replace_partitions: bool = False) -> int:
        """Insert the rows of ``data`` into ``table`` by column name; the number of rows.

        ``replace_partitions`` (Spark): the partitions ``data`` writes are replaced, not added
        to, so that writing a batch twice leaves it once (elsewhere a transaction does that).
        """

    @abstractmethod
    def read_relation(self, relation: str) -> pa.Table:
        """Every row of a table or view (``schema.name``) as Arrow, each column of the exact
        type the engine stores (DECIMAL precision and scale, DATE, TIMESTAMP with or without a
        time zone, lists): what openspm.warehouse.transfer copies between engines."""

    @property
    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection underneath (DuckDB only: Arrow views, ``read_csv``)."""
        raise WarehouseError(f"{self.name} is a {self.engine} warehouse, not DuckDB")

    # ------------------------------------------------------------------ life

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier: ``a"b`` -> ``"a""b"``."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + text.replace("'", "''") + "'"


def _database_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    errors: list[type[BaseException]] = [WarehouseError, duckdb.Error]
    try:
        import psycopg2
    except ImportError:  # the postgres extra is not installed
        pass
    else:
        errors.append(psycopg2.Error)
    return tuple(errors)


# What a statement may raise on any engine (Spark's errors arrive as WarehouseError).
DATABASE_ERRORS = _database_errors()
