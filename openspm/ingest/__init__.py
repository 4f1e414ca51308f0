"""Ingestion: landing batches copied as delivered into the warehouse schema ``raw``.

The layout of what is written (``raw.<system>__<entity>``, ``raw.ingest_quarantine``,
``raw.ingest_batches``) and the parsing rule of every column type are specified in
``docs/raw-layer.md``. Values are checked set-based in DuckDB: one query per batch yields every
(row, column, value, reason) problem (``parse_rules``). Each batch loads in one transaction
(``loader``); ``landing_check`` checks the landing folders without writing anything.
"""

from openspm.ingest.batches import Problem
from openspm.ingest.landing_check import check_landing, delivered_employee_ids
from openspm.ingest.ledger import (
    BATCHES_TABLE,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    IngestError,
    LandingFileChangedError,
)
from openspm.ingest.loader import EntityIngestReport, ingest_all, ingest_entity
from openspm.ingest.parse_rules import EMPTY_REQUIRED

__all__ = [
    "BATCHES_TABLE",
    "EMPTY_REQUIRED",
    "QUARANTINE_TABLE",
    "RAW_SCHEMA",
    "EntityIngestReport",
    "IngestError",
    "LandingFileChangedError",
    "Problem",
    "check_landing",
    "delivered_employee_ids",
    "ingest_all",
    "ingest_entity",
]
