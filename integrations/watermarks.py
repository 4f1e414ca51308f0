"""Watermarks: how far each source object has been pulled, kept in the warehouse.

``connectors.watermarks`` holds one row per (system, kind, base_url, object): the greatest
modification time of the records the last written batch carried. It is advanced only after that
batch is renamed into landing, and never moves backwards. Changing a source's kind or base_url
(a sandbox for production, say) starts afresh from ``since``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from openspm.warehouse import table_exists

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


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        connection = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise WatermarkError(
            f"cannot open the warehouse {path} for watermarks: {str(exc).splitlines()[0]} "
            "(another OpenSPM process may be writing it; try again when it has finished)"
        ) from None
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def read_watermark(warehouse: Path, key: WatermarkKey) -> datetime | None:
    """The stored watermark (aware, UTC), or None before the first pull."""
    if not warehouse.is_file():
        return None
    connection = _connect(warehouse, read_only=True)
    try:
        if not table_exists(connection, TABLE):
            return None
        row = connection.execute(
            f"SELECT watermark FROM {TABLE} WHERE system = ? AND kind = ? AND base_url = ? "
            "AND object = ?",
            [key.system, key.kind, key.base_url, key.object],
        ).fetchone()
    finally:
        connection.close()
    if row is None or row[0] is None:
        return None
    value: datetime = row[0]
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def advance_watermark(
    warehouse: Path, key: WatermarkKey, watermark: datetime, batch: str, rows: int
) -> datetime:
    """Store ``watermark`` if it is later than the stored one; return the one now stored."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    connection = _connect(warehouse, read_only=False)
    naive = watermark.astimezone(UTC).replace(tzinfo=None)
    try:
        connection.execute(
            f"""
            CREATE SCHEMA IF NOT EXISTS {SCHEMA};
            CREATE TABLE IF NOT EXISTS {TABLE} (
                system VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                base_url VARCHAR NOT NULL,
                object VARCHAR NOT NULL,
                watermark TIMESTAMP NOT NULL,
                batch VARCHAR NOT NULL,
                rows BIGINT NOT NULL,
                updated_at TIMESTAMP NOT NULL,
                PRIMARY KEY (system, kind, base_url, object)
            );
            """
        )
        connection.execute(
            f"""
            INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)
            ON CONFLICT (system, kind, base_url, object) DO UPDATE SET
                watermark = greatest(watermark, excluded.watermark),
                batch = excluded.batch,
                rows = excluded.rows,
                updated_at = excluded.updated_at
            """,
            [key.system, key.kind, key.base_url, key.object, naive, batch, rows],
        )
        (stored,) = connection.execute(
            f"SELECT watermark FROM {TABLE} WHERE system = ? AND kind = ? AND base_url = ? "
            "AND object = ?",
            [key.system, key.kind, key.base_url, key.object],
        ).fetchone()
    finally:
        connection.close()
    return stored.replace(tzinfo=UTC)
