"""Raw tables exactly as ingestion writes them (docs/raw-layer.md), for tests that run dbt alone."""

from __future__ import annotations

import datetime as dt

import duckdb

from openspm.entities import ENTITIES, entity
from openspm.publish import ensure_finance_tables

LOADED_AT = dt.datetime(2026, 3, 15, 8, 0, 0)


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty raw tables for every entity, the ingestion bookkeeping tables, and the empty
    published tables (finance.*) the engine reads, as the orchestrator creates them before dbt."""
    ensure_finance_tables(con)
    con.execute("create schema if not exists raw")
    meta = (
        '"_file" varchar, "_row_number" bigint, "_file_hash" varchar, '
        '"_loaded_at" timestamp, "_quarantined" boolean'
    )
    for ent in ENTITIES:
        cols = ", ".join(f'"{c}" varchar' for c in ent.column_names)
        con.execute(f"create table raw.{ent.table} ({cols}, {meta})")
    con.execute(
        "create table raw.ingest_batches (entity varchar, _file varchar, _file_hash varchar, "
        "file_size bigint, file_format varchar, row_count bigint, quarantined_rows bigint, "
        "status varchar, message varchar, _loaded_at timestamp)"
    )
    con.execute(
        "create table raw.ingest_quarantine (entity varchar, _file varchar, _row_number bigint, "
        "column_name varchar, value varchar, reason varchar, record_key varchar, "
        "_file_hash varchar, _loaded_at timestamp)"
    )


def load_batch(
    con: duckdb.DuckDBPyConnection,
    folder: str,
    rows: list[dict[str, str]],
    *,
    file_name: str = "batch.csv",
    quarantined: frozenset[int] = frozenset(),
) -> None:
    """One batch of ``rows`` (absent columns NULL); the 1-based rows in ``quarantined`` flagged."""
    ent = entity(folder)
    for row in rows:
        assert set(row) <= set(ent.column_names), set(row) - set(ent.column_names)
    names = [*ent.column_names, "_file", "_row_number", "_file_hash", "_loaded_at", "_quarantined"]
    values = [
        [
            *(row.get(c) for c in ent.column_names),
            f"{folder}/{file_name}",
            number,
            "0" * 64,
            LOADED_AT,
            number in quarantined,
        ]
        for number, row in enumerate(rows, start=1)
    ]
    quoted = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    con.executemany(f"insert into raw.{ent.table} ({quoted}) values ({marks})", values)
