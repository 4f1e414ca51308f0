"""Tables copied from one warehouse to another, whatever the two engines, with exact types.

The what-ifs run the engine's DuckDB SQL on a scratch DuckDB file. On a server warehouse that
file is built from the server (``copy_relations``: the relations a what-if reads, as tables of
the same names) and the what-if's own result schema goes back the same way. Each relation is
read whole as Arrow with the types its engine stores (``Warehouse.read_relation``), created on
the other side from those types (DECIMAL(p,s) kept, DATE, TIMESTAMP with or without a time
zone, lists of text) and bulk-loaded (``Warehouse.append_arrow``): one code path for every pair
of engines. A type that cannot be carried exactly (e.g. PostgreSQL's ``numeric`` without a
precision) is an error naming the column, never a silent float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openspm.warehouse.base import Warehouse, WarehouseError, quote_identifier

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Copied:
    """What ``copy_relations`` moved: relations and rows."""

    relations: int
    rows: int


def portable_kind(kind: pa.DataType, column: str = "?") -> str:
    """The portable column type (``Warehouse.sql_type``) of an Arrow type."""
    import pyarrow as pa

    if pa.types.is_decimal(kind):
        return f"DECIMAL({kind.precision}, {kind.scale})"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "VARCHAR"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_int8(kind) or pa.types.is_int16(kind) or pa.types.is_int32(kind):
        return "INTEGER"
    if pa.types.is_uint8(kind) or pa.types.is_uint16(kind):
        return "INTEGER"
    if pa.types.is_int64(kind) or pa.types.is_uint32(kind):
        return "BIGINT"
    if pa.types.is_uint64(kind):
        return "DECIMAL(20, 0)"
    if pa.types.is_floating(kind):
        return "DOUBLE"
    if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    ):
        return "VARCHAR[]"
    raise WarehouseError(f"column {column}: the type {kind} cannot be copied between engines")


def copy_relation(source: Warehouse, relation: str, target: Warehouse, table: str = "") -> int:
    """``relation`` of ``source`` as the table ``table`` (default: the same name) of
    ``target``, replacing it; the number of rows. Transactions are the caller's."""
    table = table or relation
    data = source.read_relation(relation)
    columns = [
        f"{quote_identifier(field.name)} {portable_kind(field.type, f'{relation}.{field.name}')}"
        for field in data.schema
    ]
    schema, _, _ = table.rpartition(".")
    if schema:
        target.create_schema(schema)
    target.create_table(table, columns, replace=True)
    return target.append_arrow(table, data)


def copy_relations(source: Warehouse, target: Warehouse, relations: Iterable[str]) -> Copied:
    """Every relation of ``relations`` the source holds, copied under the same name (those it
    does not hold are left out: the target then lacks them as the source does)."""
    count = rows = 0
    for relation in sorted(set(relations)):
        if not source.table_exists(relation):
            continue
        rows += copy_relation(source, relation, target)
        count += 1
    return Copied(count, rows)
