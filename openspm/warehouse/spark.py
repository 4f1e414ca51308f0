"""A Spark warehouse, reached through a PySpark session on a Spark Connect endpoint.

Tables are Parquet tables of the server's catalogue (``USING parquet``), one database per
schema. Spark has no multi-statement transactions and cannot ``DELETE`` from Parquet tables,
so this class keeps the callers' SQL portable at two points, and says what that costs:

- ``begin``/``commit``/``rollback`` do nothing (``transactional`` is False). The writers that
  need a month to appear whole (publication) write a pointer row last (openspm/publish.py);
  the others are bookkeeping a re-run repeats (ingestion writes a batch's rows before its
  record, comp tables are replaced one by one; one writer at a time, by the workspace lock).
- ``DELETE FROM t [WHERE c]`` rewrites ``t`` without the matching rows (``TRUNCATE`` without a
  condition). Only small bookkeeping tables are deleted from (check results, batch records).

With Delta Lake or Iceberg (not installable here: their jars come from Maven) both go away:
``DELETE`` and ``MERGE`` work on the tables and the pointer becomes a table version
(docs/scaling.md).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from openspm.warehouse.base import (
    Warehouse,
    WarehouseError,
    split_column,
    split_statements,
)
from openspm.warehouse.sql import rows_frame

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_DELETE = re.compile(r"^\s*delete\s+from\s+(\S+)(?:\s+where\s+(.*))?$", re.I | re.S)
_INSERT_VALUES = re.compile(
    r"^\s*insert\s+into\s+(\S+)\s*(?:\(([^)]*)\))?\s*values\s*\(", re.I | re.S
)
_CONTROL = {"begin", "begin transaction", "commit", "rollback"}
# what every session sets: UTC, exact decimals (an overflow is an error, never a rounding),
# dynamic partition overwrite (a month's partition replaced whole)
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.ansi.enabled": "true",
}


class SparkSqlError(WarehouseError):
    """Spark refused a statement; the message is Spark's first line."""


@contextmanager
def _spark_errors() -> Iterator[None]:
    """PySpark's errors as SparkSqlError with Spark's first line (no JVM stack trace)."""
    try:
        yield
    except WarehouseError:
        raise
    except Exception as exc:
        if not type(exc).__module__.startswith(("pyspark", "grpc")):
            raise
        text = str(exc).split("JVM stacktrace")[0].strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise SparkSqlError(first) from exc


def _spark_type(kind: str) -> str:
    text = re.sub(r"\bVARCHAR\s*\[\]", "ARRAY<STRING>", kind, flags=re.I)
    text = re.sub(r"\bVARCHAR\b", "STRING", text, flags=re.I)
    text = re.sub(r"\bTIMESTAMP\b(?!_)", "TIMESTAMP_NTZ", text, flags=re.I)
    text = re.sub(r"\bTIMESTAMPTZ\b", "TIMESTAMP_LTZ", text, flags=re.I)
    return re.sub(r"\bINTEGER\b", "INT", text, flags=re.I)


def _backticks(name: str) -> str:
    """``"name"`` (SQL quoting) as Spark's ```name```; bare names unchanged."""
    if name.startswith('"') and name.endswith('"'):
        return "`" + name[1:-1].replace('""', '"').replace("`", "``") + "`"
    return name


class _SparkResult:
    """A Spark DataFrame as ``Warehouse.execute`` returns it (collected on first fetch)."""

    def __init__(self, frame: Any) -> None:
        self._frame = frame
        self._rows: list[tuple[Any, ...]] | None = None

    @property
    def description(self) -> list[tuple[str, str]]:
        if self._frame is None:
            return []
        return [(f.name, f.dataType.simpleString()) for f in self._frame.schema.fields]

    def _all(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            with _spark_errors():
                rows = [] if self._frame is None else self._frame.collect()
            self._rows = [tuple(r) for r in rows]
        return self._rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._all(), []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._all()
        return rows.pop(0) if rows else None

    def df(self) -> pd.DataFrame:
        kinds = {}
        for name, kind in self.description:
            if kind.startswith("decimal"):
                kinds[name] = "decimal"
            elif kind in ("date", "timestamp", "timestamp_ntz"):
                kinds[name] = "date"
        return rows_frame(self.fetchall(), [n for n, _ in self.description], kinds)


class SparkWarehouse(Warehouse):
    """Spark over Spark Connect (``sc://host:port``): the same session API as local PySpark."""

    engine = "spark"
    transactional = False
    default_schema = "default"

    def __init__(self, remote: str, name: str) -> None:
        super().__init__(name)
        # PySpark warns about pandas 3 on import, and logs every failed query's stack trace
        # as JSON on stderr; OpenSPM reports the failure itself, in one line
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise WarehouseError(
                "a spark warehouse needs PySpark: pip install 'openspm[spark]'"
            ) from None
        try:
            # a session of its own: its catalogue cache cannot be stale after dbt (another
            # session) replaced a table's files
            self._spark = SparkSession.builder.remote(remote).create()
            for key, value in SESSION_CONF.items():
                self._spark.conf.set(key, value)
        except Exception as exc:  # grpc errors, a refused connection, ...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WarehouseError(f"cannot connect to the warehouse {name}: {first}") from None

    @property
    def session(self) -> Any:
        """The PySpark session (bulk reads and writes)."""
        return self._spark

    # ------------------------------------------------------------------ statements

    def _sql(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        with _spark_errors():
            if params:
                return self._spark.sql(sql, args=list(params))
            return self._spark.sql(sql)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> _SparkResult:
        if params is None and ";" in sql:
            statements = split_statements(sql)
            if len(statements) > 1:
                result = _SparkResult(None)
                for statement in statements:
                    result = self.execute(statement)
                return result
        text = sql.strip().rstrip(";").strip()
        if text.lower() in _CONTROL:
            return _SparkResult(None)  # no transactions on Spark (see the module docstring)
        deleted = _DELETE.match(text)
        if deleted:
            self._delete(deleted.group(1), deleted.group(2), params)
            return _SparkResult(None)
        frame = self._sql(text, params)
        return _SparkResult(frame)

    def _delete(self, table: str, condition: str | None, params: Sequence[Any] | None) -> None:
        if not condition:
            self._sql(f"TRUNCATE TABLE {table}")
            return
        kept = self._sql(
            f"SELECT * FROM {table} WHERE NOT coalesce(({condition}), false)", params
        )
        with _spark_errors():
            data = kept.toArrow()  # read whole before the table is rewritten
            if data.num_rows == self._spark.table(table).count():
                return  # nothing matched
            if data.num_rows == 0:
                self._sql(f"TRUNCATE TABLE {table}")
                return
            frame = self._spark.createDataFrame(data)
            writer = frame.write.option("partitionOverwriteMode", "static")
            writer.insertInto(table, overwrite=True)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(row) for row in rows]
        if not rows:
            return
        insert = _INSERT_VALUES.match(sql)
        if insert is None:
            for row in rows:
                self.execute(sql, row)
            return
        table, listed = insert.group(1), insert.group(2)
        import pyarrow as pa

        names = [c.strip() for c in listed.split(",")] if listed else self.columns(table)
        data = pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in rows])
        self.append_arrow(table, data)

    def _statement(self, keyword: str) -> None:
        del keyword  # no transactions on Spark

    # ------------------------------------------------------------------ catalogue

    def tables(self, schema: str) -> set[str]:
        with _spark_errors():
            if not self._spark.catalog.databaseExists(schema):
                return set()
            return {t.name for t in self._spark.catalog.listTables(schema)}

    def columns(self, table: str) -> list[str]:
        with _spark_errors():
            return list(self._spark.table(table).columns)

    # ------------------------------------------------------------------ DDL

    def sql_type(self, kind: str) -> str:
        return _spark_type(kind)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        if not values:
            return "false", []
        return f"array_contains(?, {column})", [list(values)]

    def create_schema(self, schema: str) -> None:
        self._sql(f"CREATE DATABASE IF NOT EXISTS {schema}")

    def create_table_sql(
        self,
        table: str,
        columns: Sequence[str],
        primary_key: Sequence[str] = (),
        partitioned_by: Sequence[str] = (),
    ) -> str:
        del primary_key  # Parquet tables have no constraints
        parts = []
        for definition in columns:
            name, kind, _ = split_column(definition)
            parts.append(f"{_backticks(name)} {self.sql_type(kind)}")
        partitions = f" PARTITIONED BY ({', '.join(partitioned_by)})" if partitioned_by else ""
        return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(parts)}) USING parquet{partitions}"

    def add_column(self, table: str, name: str, kind: str) -> None:
        bare = name.strip('"')
        if bare not in self.columns(table):
            self._sql(f"ALTER TABLE {table} ADD COLUMNS ({_backticks(name)} {self.sql_type(kind)})")

    # ------------------------------------------------------------------ bulk

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        frame = self._sql(sql, params)
        with _spark_errors():
            return frame.toArrow()

    def read_relation(self, relation: str) -> pa.Table:
        with _spark_errors():
            return self._spark.table(relation).toArrow()

    def append_arrow(self, table: str, data: pa.Table, *, replace_partitions: bool = False) -> int:
        """The rows appended by name: columns the table has and ``data`` lacks are NULL; with
        ``replace_partitions`` the partitions written are replaced (dynamic overwrite)."""
        from pyspark.sql import functions as f

        if data.num_rows == 0:
            return 0
        with _spark_errors():
            target = self._spark.table(table).schema
            frame = self._spark.createDataFrame(data)
            given = set(data.column_names)
            frame = frame.select(
                *[
                    (f.col(field.name) if field.name in given else f.lit(None))
                    .cast(field.dataType)
                    .alias(field.name)
                    for field in target.fields
                ]
            )
            frame.write.insertInto(table, overwrite=replace_partitions)
        return data.num_rows

    def close(self) -> None:
        """The session ends (the server releases its state)."""
        with suppress(Exception):
            self._spark.stop()
