"""Watermarks: how far each source object has been pulled, kept in the warehouse.

``connectors.watermarks`` holds one row per (system, kind, base_url, object): the greatest
modification time of the records the last written batch carried. It is advanced only after that
batch is renamed into landing, and never moves backwards. Changing a source's kind or base_url
(a sandbox for production, say) starts afresh from ``since``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from openspm.warehouse import DATABASE_ERRORS, Warehouse, connect, describe, exists, table_exists

if TYPE_CHECKING:
    from openspm.workspace import Workspace

SCHEMA = "connectors"
TABLE = f"{SCHEMA}.watermarks"


@dataclass(frozen=True)
class WatermarkKey:
    system: str  # crm, erp, hris
    kind: str  # salesforce, ...
    base_url: str
    object: str  # Opportunity, deals, invoices, ...


class WatermarkError(RuntimeError):
    """The warehouse cannot be read or written for watermarks; one line."""


COLUMNS = (
    "system VARCHAR NOT NULL",
    "kind VARCHAR NOT NULL",
    "base_url VARCHAR NOT NULL",
    "object VARCHAR NOT NULL",
    "watermark TIMESTAMP NOT NULL",
    "batch VARCHAR NOT NULL",
    "rows BIGINT NOT NULL",
    "updated_at TIMESTAMP NOT NULL",
)
_KEY = "system = ? AND kind = ? AND base_url = ? AND object = ?"


def _connect(workspace: Workspace, read_only: bool) -> Warehouse:
    try:
        connection = connect(workspace, read_only=read_only)
    except DATABASE_ERRORS as exc:
        raise WatermarkError(
            f"cannot open the warehouse {describe(workspace)} for watermarks: "
            f"{str(exc).splitlines()[0]} (another OpenSPM process may be writing it; try again "
            "when it has finished)"
        ) from None
    if connection.engine == "duckdb":
        connection.execute("SET TimeZone = 'UTC'")
    return connection


def _stored(connection: Warehouse, key: WatermarkKey) -> datetime | None:
    row = connection.execute(
        f"SELECT watermark FROM {TABLE} WHERE {_KEY}",
        [key.system, key.kind, key.base_url, key.object],
    ).fetchone()
    return None if row is None else row[0]


def read_watermark(workspace: Workspace, key: WatermarkKey) -> datetime | None:
    """The stored watermark (aware, UTC), or None before the first pull."""
    if not exists(workspace):
        return None
    connection = _connect(workspace, read_only=True)
    try:
        if not table_exists(connection, TABLE):
            return None
        value = _stored(connection, key)
    finally:
        connection.close()
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def advance_watermark(
    workspace: Workspace, key: WatermarkKey, watermark: datetime, batch: str, rows: int
) -> datetime:
    """Store ``watermark`` if it is later than the stored one; return the one now stored."""
    connection = _connect(workspace, read_only=False)
    naive = watermark.astimezone(UTC).replace(tzinfo=None)
    try:
        connection.create_schema(SCHEMA)
        key_columns = ("system", "kind", "base_url", "object")
        connection.create_table(TABLE, COLUMNS, primary_key=key_columns)
        with connection.transaction():
            previous = _stored(connection, key)
            stored = naive if previous is None else max(previous.replace(tzinfo=None), naive)
            connection.execute(
                f"DELETE FROM {TABLE} WHERE {_KEY}",
                [key.system, key.kind, key.base_url, key.object],
            )
            connection.execute(
                f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [key.system, key.kind, key.base_url, key.object, stored, batch, rows,
                 datetime.now(UTC).replace(tzinfo=None)],
            )  # fmt: skip
    finally:
        connection.close()
    return stored.replace(tzinfo=UTC)
