"""DuckDB and PostgreSQL warehouses, both reached through SQLAlchemy.

Statements run on the driver's connection in autocommit mode, so ``begin``/``commit`` are the
engine's own ``BEGIN``/``COMMIT``: exactly the transactions the callers ask for, nothing
implicit. DuckDB keeps its fast paths (Arrow views for bulk loads, ``.df()``); PostgreSQL
bulk-loads through ``COPY`` and serializes publishers with an advisory lock.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from openspm.warehouse.base import Warehouse, WarehouseError, quote_identifier

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

# pg_advisory_xact_lock key of publication: any fixed 64-bit number, the same for every writer
PUBLICATION_LOCK_KEY = 0x0_5EB1_1C47  # "openspm publish"


class DuckDBWarehouse(Warehouse):
    """The embedded default: one DuckDB file (duckdb_engine under SQLAlchemy)."""

    engine = "duckdb"

    def __init__(self, path: str, *, read_only: bool = False, config: dict | None = None) -> None:
        super().__init__(path)
        import duckdb

        args: dict[str, Any] = {"read_only": read_only}
        if config:
            args["config"] = dict(config)
        self._engine = sa.create_engine(
            f"duckdb:///{path}", poolclass=sa.pool.NullPool, connect_args=args
        )
        try:
            self._connection = self._engine.connect()
        except sa.exc.DBAPIError as exc:
            self._engine.dispose()
            raise WarehouseError(f"cannot open the warehouse {path}: {exc.orig}") from None
        except duckdb.Error as exc:
            self._engine.dispose()
            raise WarehouseError(f"cannot open the warehouse {path}: {exc}") from None
        # duckdb_engine's wrapper passes every call through to DuckDB's own connection
        self._raw: duckdb.DuckDBPyConnection = self._connection.connection.driver_connection

    @property
    def duckdb(self) -> duckdb.DuckDBPyConnection:
        return self._raw

    def __getattr__(self, name: str) -> Any:
        """DuckDB's own connection API (``sql``, ``register``, ...) for DuckDB-only code."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._raw, name)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        if params is None:
            return self._raw.execute(sql)
        return self._raw.execute(sql, list(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._raw.executemany(sql, [list(row) for row in rows])

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self._raw.sql(sql, params=list(params) if params else None).to_arrow_table()

    def read_relation(self, relation: str) -> pa.Table:
        return self._raw.sql(f"SELECT * FROM {relation}").to_arrow_table()

    def _statement(self, keyword: str) -> None:
        import duckdb

        if keyword != "ROLLBACK":
            self._raw.execute(keyword)
            return
        with suppress(duckdb.TransactionException):  # nothing begun: the error came before
            self._raw.execute(keyword)

    def tables(self, schema: str) -> set[str]:
        rows = self._raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
        ).fetchall()
        return {name for (name,) in rows}

    def columns(self, table: str) -> list[str]:
        schema, _, name = table.rpartition(".")
        rows = self._raw.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? ORDER BY ordinal_position",
            [schema or "main", name],
        ).fetchall()
        return [column for (column,) in rows]

    def append_arrow(self, table: str, data: pa.Table, *, replace_partitions: bool = False) -> int:
        del replace_partitions  # the caller's transaction makes a batch whole
        view = "_openspm_append"
        self._raw.register(view, data)
        try:
            names = ", ".join(quote_identifier(n) for n in data.column_names)
            self._raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {view}")
        finally:
            self._raw.unregister(view)
        return data.num_rows

    def close(self) -> None:
        try:
            self._connection.close()
        finally:
            self._engine.dispose()


def _format_placeholders(sql: str) -> str:
    """``?`` markers (outside quotes) as psycopg2's ``%s``; a literal ``%`` doubled."""
    out, quote = [], ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


class _CursorResult:
    """A psycopg2 cursor as ``Warehouse.execute`` returns it (rows read on demand)."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._cursor.description is None:
            return []
        return [tuple(row) for row in self._cursor.fetchall()]

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._cursor.description is None:
            return None
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def df(self) -> pd.DataFrame:
        description = self._cursor.description or ()
        kinds = {c[0]: _PG_KINDS.get(c[1], "") for c in description}
        return rows_frame(self.fetchall(), [c[0] for c in description], kinds)


# type OIDs of PostgreSQL -> the kinds rows_frame converts
_PG_KINDS = {1082: "date", 1114: "timestamp", 1184: "timestamp", 1700: "decimal"}


def rows_frame(
    rows: list[tuple[Any, ...]], names: list[str], kinds: dict[str, str]
) -> pd.DataFrame:
    """Rows as a DataFrame typed as DuckDB's ``.df()`` types them: DECIMAL as float64, DATE and
    TIMESTAMP as datetime64[us] (so that checks compare the same values on every engine)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=names)
    for name in names:
        kind = kinds.get(name, "")
        if kind == "decimal":
            frame[name] = pd.to_numeric(
                frame[name].map(lambda v: None if v is None else float(v)), downcast=None
            ).astype("float64")
        elif kind in ("date", "timestamp"):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
    return frame


class PostgresWarehouse(Warehouse):
    """A PostgreSQL database through SQLAlchemy and psycopg2 (the driver dbt-postgres uses)."""

    engine = "postgres"
    default_schema = "public"

    def sql_type(self, kind: str) -> str:
        return "DOUBLE PRECISION" if kind.upper() == "DOUBLE" else kind

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        if not values:
            return "false", []
        return f"{column} = any(?)", [list(values)]

    def __init__(self, url: str, name: str) -> None:
        super().__init__(name)
        import psycopg2

        self._engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            connection = self._engine.connect()
        except sa.exc.DBAPIError as exc:
            self._engine.dispose()
            reason = " ".join(str(exc.orig).split())
            raise WarehouseError(f"cannot connect to the warehouse {name}: {reason}") from None
        self._connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        self._raw: psycopg2.extensions.connection = self._connection.connection.driver_connection
        with self._raw.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> _CursorResult:
        cursor = self._raw.cursor()
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(_format_placeholders(sql), list(params))
        except BaseException:
            cursor.close()
            raise
        return _CursorResult(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        from psycopg2.extras import execute_batch

        with self._raw.cursor() as cursor:
            execute_batch(cursor, _format_placeholders(sql), [list(r) for r in rows])

    def lock_publication(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", [PUBLICATION_LOCK_KEY])

    def tables(self, schema: str) -> set[str]:
        rows = self.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
        )
        return {name for (name,) in rows}

    def columns(self, table: str) -> list[str]:
        schema, _, name = table.rpartition(".")
        rows = self.fetchall(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? ORDER BY ordinal_position",
            [schema or self.default_schema, name],
        )
        return [column for (column,) in rows]

    def read_relation(self, relation: str) -> pa.Table:
        """The rows typed from the catalogue (``numeric(p,s)`` as decimal128(p,s), ...), so an
        empty table or a column of NULLs keeps its type."""
        import pyarrow as pa

        schema, _, name = relation.rpartition(".")
        catalogue = self.fetchall(
            "SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale "
            "FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema or self.default_schema, name],
        )
        if not catalogue:
            raise WarehouseError(f"{self.name}: no table or view {relation}")
        fields = [pa.field(c[0], _pg_arrow_type(relation, *c)) for c in catalogue]
        names = ", ".join(quote_identifier(f.name) for f in fields)
        cursor = self._raw.cursor()
        try:
            cursor.execute(f"SELECT {names} FROM {relation}")
            batches = []
            while rows := cursor.fetchmany(50_000):
                columns = list(zip(*rows, strict=True))
                batches.append(
                    pa.record_batch(
                        [pa.array(c, f.type) for c, f in zip(columns, fields, strict=True)],
                        schema=pa.schema(fields),
                    )
                )
        finally:
            cursor.close()
        return pa.Table.from_batches(batches, schema=pa.schema(fields))

    def append_arrow(self, table: str, data: pa.Table, *, replace_partitions: bool = False) -> int:
        """``COPY`` of text and scalar columns; lists go through parameterised inserts."""
        del replace_partitions  # the caller's transaction makes a batch whole
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = ", ".join(quote_identifier(n) for n in data.column_names)
        if data.num_rows == 0:
            return 0
        if any(pa.types.is_list(field.type) for field in data.schema):
            marks = ", ".join("?" for _ in data.column_names)
            self.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",
                [tuple(row.values()) for row in data.to_pylist()],
            )
            return data.num_rows
        buffer = io.BytesIO()
        # every string quoted, so that an empty string and a NULL (unquoted, empty) differ
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        pacsv.write_csv(data, buffer, write_options=options)
        buffer.seek(0)
        with self._raw.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)", buffer)
        return data.num_rows

    def close(self) -> None:
        try:
            self._connection.close()
        finally:
            self._engine.dispose()



def _pg_arrow_type(
    relation: str, column: str, data_type: str, udt: str, precision: int | None, scale: int | None
) -> pa.DataType:
    """The Arrow type of a PostgreSQL column (information_schema's description of it)."""
    import pyarrow as pa

    scalars = {
        "character varying": pa.string(),
        "text": pa.string(),
        "character": pa.string(),
        "date": pa.date32(),
        "timestamp without time zone": pa.timestamp("us"),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
        "smallint": pa.int32(),
        "integer": pa.int32(),
        "bigint": pa.int64(),
        "boolean": pa.bool_(),
        "double precision": pa.float64(),
        "real": pa.float64(),
        "_varchar": pa.list_(pa.string()),
        "_text": pa.list_(pa.string()),
    }
    if data_type == "numeric" and precision is not None:
        return pa.decimal128(int(precision), int(scale or 0))
    found = scalars.get(udt if data_type == "ARRAY" else data_type)
    if found is None:
        kind = "numeric without a precision" if data_type == "numeric" else data_type
        raise WarehouseError(
            f"{relation}.{column}: a column of type {kind} cannot be copied exactly "
            "(openspm.warehouse.transfer)"
        )
    return found
