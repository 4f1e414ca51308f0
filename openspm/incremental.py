"""Whether a dbt build can be incremental, and what is new since the last successful one.

Raw tables are append-only: ingestion never rewrites a loaded batch. So what changed since the
last successful build is the batches loaded after it. Before a build, ``plan_build`` compares
the warehouse with the record the last successful build left in ``dbt_state.last_build``:

- the same dbt project, the same compensation tables, every incremental table present, and new
  batches only of the entities that incremental models read (``incremental_entities``; it and
  the list of incremental tables come from the dbt manifest): an **incremental** build. The new
  batches are listed in ``dbt_state.new_batches``, which the incremental models read
  (``dbt_project/macros/incremental.sql``);
- anything else (the first build, HR or fx or CRM users delivered, a plan edited, the SQL
  upgraded): ``dbt build --full-refresh``. The record is deleted first, so a full refresh that
  stops half-way is followed by another.

``record_build`` writes the record after a build that succeeded over every model. After an
incremental build that failed, the record stays: the next build sees the same new batches
(and any later ones) and recomputes the same keys, which repairs what was half done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from openspm.dbt_project import Manifest, project_manifest
from openspm.entities import ENTITIES
from openspm.warehouse import Warehouse, quote_identifier, table_exists

STATE_SCHEMA = "dbt_state"
NEW_BATCHES = f"{STATE_SCHEMA}.new_batches"
LAST_BUILD = f"{STATE_SCHEMA}.last_build"
BUILT_BATCHES = f"{STATE_SCHEMA}.built_batches"
COMP_SCHEMA = "comp"
RAW_SCHEMA = "raw"

_TABLE_OF_FOLDER = {e.folder: e.table for e in ENTITIES}
_BATCH_COLUMNS = ("raw_table VARCHAR NOT NULL", "file VARCHAR NOT NULL")


@dataclass(frozen=True)
class BuildPlan:
    """How the next dbt build runs: ``full_refresh`` or not, why, and the new batches."""

    full_refresh: bool
    reason: str
    new_batches: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # raw table: files
    fingerprint: str = ""

    @property
    def new_batch_count(self) -> int:
        return sum(len(files) for files in self.new_batches.values())

    def describe(self) -> str:
        if self.full_refresh:
            return f"full refresh: {self.reason}"
        return f"incremental: {self.new_batch_count} new batch(es) since the last build"


def project_fingerprint(project_dir: Path) -> str:
    """A digest of the dbt project's SQL and configuration (a changed model: full refresh)."""
    digest = hashlib.sha256()
    files = [project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "tests"):
        files += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    for path in files:
        if path.exists():
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def incremental_tables(manifest: Manifest | None = None) -> tuple[str, ...]:
    """The incremental models' tables (``schema.name``): all must exist for an incremental build."""
    return (manifest or project_manifest()).incremental_relations()


def incremental_entities(manifest: Manifest | None = None) -> frozenset[str]:
    """Landing entities (``crm/deals``) whose new batches an incremental build absorbs.

    Those whose raw table an incremental model reads (their staging model is incremental, and
    so is every model after it that keeps history); new batches of any other entity feed
    tables rebuilt whole, so they need a full refresh.
    """
    sources = (manifest or project_manifest()).incremental_sources()
    return frozenset(
        folder for folder, table in _TABLE_OF_FOLDER.items() if f"{RAW_SCHEMA}.{table}" in sources
    )


def plan_build(
    connection: Warehouse,
    project_dir: Path,
    *,
    force_full_refresh: bool = False,
    manifest: Manifest | None = None,
) -> BuildPlan:
    """Decide between an incremental build and a full refresh; list the new batches."""
    fingerprint = _fingerprint(connection, project_dir)
    loaded = _loaded_batches(connection)
    last = _last_build(connection)
    if force_full_refresh:
        reason: str | None = "asked for (openspm run --full-refresh)"
    elif connection.engine == "spark":
        reason = "Spark's Parquet tables cannot delete a changed key's rows: every build is whole"
    else:
        reason = _full_refresh_reason(
            connection, fingerprint, loaded, last, manifest or project_manifest()
        )
    # a full refresh builds from every loaded batch; an incremental build from the new ones
    built = _built_batches(connection) if reason is None else set()
    new = _by_table(pair for pair in loaded if pair not in built)
    return BuildPlan(
        full_refresh=reason is not None,
        reason=reason or "",
        new_batches=new,
        fingerprint=fingerprint,
    )


def prepare_build(connection: Warehouse, plan: BuildPlan) -> None:
    """Write ``dbt_state.new_batches``; before a full refresh, forget the last build."""
    _ensure_state_tables(connection)
    with connection.transaction():
        connection.execute(f"delete from {NEW_BATCHES}")
        rows = [(table, file) for table, files in plan.new_batches.items() for file in files]
        if rows:
            connection.executemany(f"insert into {NEW_BATCHES} values (?, ?)", rows)
        if plan.full_refresh:
            connection.execute(f"delete from {LAST_BUILD}")
            connection.execute(f"delete from {BUILT_BATCHES}")


def record_build(connection: Warehouse, plan: BuildPlan) -> None:
    """After a successful build of every model: what it was built from (the next plan's base)."""
    _ensure_state_tables(connection)
    now = datetime.now(UTC).replace(tzinfo=None)
    with connection.transaction():
        connection.execute(f"delete from {LAST_BUILD}")
        connection.execute(
            f"insert into {LAST_BUILD} values (?, ?, ?)",
            [plan.fingerprint, now, "full refresh" if plan.full_refresh else "incremental"],
        )
        rows = [(table, file) for table, files in plan.new_batches.items() for file in files]
        if rows:
            connection.executemany(f"insert into {BUILT_BATCHES} values (?, ?)", rows)
        connection.execute(f"delete from {NEW_BATCHES}")


# ----------------------------------------------------------------------------------- internals


def _full_refresh_reason(
    connection: Warehouse,
    fingerprint: str,
    loaded: set[tuple[str, str]],
    last: str | None,
    manifest: Manifest,
) -> str | None:
    if last is None:
        return "no earlier successful build is recorded"
    if last != fingerprint:
        return "the dbt project or the compensation configuration changed"
    missing = [t for t in incremental_tables(manifest) if not table_exists(connection, t)]
    if missing:
        return f"{', '.join(missing)} missing"
    built = _built_batches(connection)
    if built - loaded:
        return "batches built earlier are no longer in raw (was the warehouse restored?)"
    absorbed = {_TABLE_OF_FOLDER[folder] for folder in incremental_entities(manifest)}
    others = sorted({table for table, _ in loaded - built if table not in absorbed})
    if others:
        return f"new batches of {', '.join(others)}"
    return None


def _fingerprint(connection: Warehouse, project_dir: Path) -> str:
    """The dbt project and the content of every comp.* table, as one digest."""
    parts = {"project": project_fingerprint(project_dir), "comp": _comp_digest(connection)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _comp_digest(connection: Warehouse) -> dict[str, str]:
    digest = {}
    for table in sorted(connection.tables(COMP_SCHEMA)):
        # order-independent: the count and the sum of the rows' hashes
        count, total = connection.execute(_row_hash_sum_sql(connection, table)).fetchone()
        digest[table] = f"{count}:{total}"
    return digest


def _row_hash_sum_sql(connection: Warehouse, table: str) -> str:
    """The count and the sum of the row hashes of ``comp.<table>``, in the engine's SQL."""
    relation = f"{COMP_SCHEMA}.{quote_identifier(table)}"
    if connection.engine == "postgres":  # md5 of the row's text, its first 15 hex digits
        return (
            "select count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint"
            f"::numeric), 0) from {relation} t"
        )
    if connection.engine == "spark":
        columns = ", ".join(f"`{c}`" for c in connection.columns(f"{COMP_SCHEMA}.{table}"))
        return (
            f"select count(*), coalesce(sum(cast(xxhash64({columns}) as decimal(38, 0))), 0) "
            f"from {COMP_SCHEMA}.`{table}`"
        )
    return f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {relation} t"


def _loaded_batches(connection: Warehouse) -> set[tuple[str, str]]:
    if not table_exists(connection, "raw.ingest_batches"):
        return set()
    rows = connection.execute(
        "select entity, _file from raw.ingest_batches where status = 'loaded'"
    ).fetchall()
    return {(_TABLE_OF_FOLDER[e], f) for e, f in rows if e in _TABLE_OF_FOLDER}


def _last_build(connection: Warehouse) -> str | None:
    if not table_exists(connection, LAST_BUILD):
        return None
    row = connection.execute(f"select fingerprint from {LAST_BUILD}").fetchone()
    return row[0] if row else None


def _built_batches(connection: Warehouse) -> set[tuple[str, str]]:
    if not table_exists(connection, BUILT_BATCHES):
        return set()
    return set(connection.execute(f"select raw_table, file from {BUILT_BATCHES}").fetchall())


def _by_table(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    tables: dict[str, list[str]] = {}
    for table, file in pairs:
        tables.setdefault(table, []).append(file)
    return {table: tuple(sorted(files)) for table, files in sorted(tables.items())}


def _ensure_state_tables(connection: Warehouse) -> None:
    connection.create_schema(STATE_SCHEMA)
    connection.create_table(NEW_BATCHES, _BATCH_COLUMNS)
    connection.create_table(BUILT_BATCHES, _BATCH_COLUMNS)
    connection.create_table(
        LAST_BUILD,
        ("fingerprint VARCHAR NOT NULL", "built_at TIMESTAMP NOT NULL", "mode VARCHAR NOT NULL"),
    )
