"""Keeping the comp.* tables when nothing they are made from changed (the nightly run).

Loading comp/ parses every plan, assignment and quota and checks them against the HRIS
employees: seconds for 10,000 people. The tables depend on nothing else, so a run whose comp/
files, known employees and loading code are those of the last load keeps the tables as they are.
The digest of those inputs is kept in ``comp_state.loaded_from``, written after the tables and
forgotten before they are rewritten, so a load that fails is repeated.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from openspm.comp.load import SCHEMA, TABLES
from openspm.warehouse import Warehouse, table_exists

STATE_SCHEMA = "comp_state"
DIGEST_TABLE = f"{STATE_SCHEMA}.loaded_from"
_CODE_DIR = Path(__file__).resolve().parent


def source_digest(comp_dir: Path, known_employees: set[str] | None) -> str:
    """A digest of every file under ``comp_dir``, the known employees and the loading code."""
    digest = hashlib.sha256()
    for base, label in ((comp_dir, "comp"), (_CODE_DIR, "code")):
        files = sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest.update(f"{label}:{path.relative_to(base).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    employees = "\n".join(sorted(known_employees)) if known_employees is not None else "\0none"
    digest.update(employees.encode())
    return digest.hexdigest()


def loaded_digest(connection: Warehouse) -> str | None:
    """The digest of the last load, if it is recorded and every comp.* table exists."""
    present = connection.tables(SCHEMA)
    if not table_exists(connection, DIGEST_TABLE) or any(t.name not in present for t in TABLES):
        return None
    row = connection.execute(f"select digest from {DIGEST_TABLE}").fetchone()
    return row[0] if row else None


def forget_digest(connection: Warehouse) -> None:
    _ensure_table(connection)
    connection.execute(f"delete from {DIGEST_TABLE}")


def record_digest(connection: Warehouse, digest: str) -> None:
    _ensure_table(connection)
    connection.execute(f"delete from {DIGEST_TABLE}")
    now = datetime.now(UTC).replace(tzinfo=None)
    connection.execute(f"insert into {DIGEST_TABLE} values (?, ?)", [digest, now])


def table_counts(connection: Warehouse) -> dict[str, int]:
    """Row counts of the comp.* tables, keyed like ``write_comp_tables``'s."""
    counts = {}
    for table in TABLES:
        (count,) = connection.execute(f"select count(*) from {SCHEMA}.{table.name}").fetchone()
        counts[f"{SCHEMA}.{table.name}"] = int(count)
    return counts


def _ensure_table(connection: Warehouse) -> None:
    connection.create_schema(STATE_SCHEMA)
    connection.create_table(DIGEST_TABLE, ("digest VARCHAR NOT NULL", "loaded_at TIMESTAMP"))
