"""The what-ifs on a server warehouse: a scratch DuckDB file built from the server, and back.

``openspm model``, ``estimate`` and ``forecast`` run the engine's DuckDB SQL (dbt-duckdb on a
scratch copy, or models rendered for DuckDB by openspm.whatif.render). On a DuckDB warehouse
they read the workspace's file (or a copy of it). On PostgreSQL or Spark, ``server_scratch``
builds that DuckDB file from the server: every relation the what-if reads, read through the
warehouse interface and written as a table of the same schema, name and exact column types
(openspm.warehouse.transfer); the what-if then runs exactly as on DuckDB. The server is only
read. What the what-if keeps (``modelling.*``, ``forecast.*``) goes back with
``publish_schema``: the server's tables of that schema replaced in one transaction (on Spark,
which has none, table by table). ``finance``, ``comp`` and the drafts are never written.

The cost is the transfer of the relations read (docs/modelling.md, "On a server warehouse").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from openspm.dbt_project import project_manifest
from openspm.warehouse import Warehouse, connect, duckdb_file, read_only
from openspm.warehouse.transfer import Copied, copy_relation, copy_relations
from openspm.workspace import Workspace

COMP_SCHEMA = "comp"
FINANCE_SCHEMA = "finance"
# what no what-if reads: the credit ledger (what a close appends to finance.credits) and the
# commission accounting, and every model downstream of them (dbt's ``model+``, ``path:..+``)
EXCLUDED_MODELS = ("int_credit_ledger",)
EXCLUDED_PATHS = ("models/intermediate/accounting",)


def excluded_models() -> frozenset[str]:
    """The models of EXCLUDED_MODELS and EXCLUDED_PATHS and those downstream of them."""
    return project_manifest().downstream(models=EXCLUDED_MODELS, paths=EXCLUDED_PATHS)


def drafts_relations(server: Warehouse, *extra: str) -> list[str]:
    """What the estimate and the forecast read: the relation of every model the last run built
    (but the excluded ones), the ``comp`` and ``finance`` tables, and ``extra``."""
    manifest = project_manifest()
    skipped = excluded_models()
    relations = {m.relation for m in manifest.models.values() if m.name not in skipped}
    relations.update(f"{COMP_SCHEMA}.{t}" for t in server.tables(COMP_SCHEMA))
    relations.update(f"{FINANCE_SCHEMA}.{t}" for t in server.tables(FINANCE_SCHEMA))
    relations.update(extra)
    return sorted(relations)


def server_scratch(server: Warehouse, target: Path, relations: Iterable[str]) -> Copied:
    """The DuckDB file ``target`` made of the server's ``relations`` (those it holds)."""
    target.unlink(missing_ok=True)
    with duckdb_file(str(target)) as scratch:
        return copy_relations(server, scratch, relations)


def drafts_copy(ws: Workspace, target: Path, *extra: str) -> Copied:
    """The DuckDB file ``target`` holding what the estimate and the forecast read from the
    workspace's server warehouse (``drafts_relations``), and the relations ``extra``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with connect(ws, read_only=True) as server:
        return server_scratch(server, target, drafts_relations(server, *extra))


@contextmanager
def drafts_connection(ws: Workspace, scratch_dir: Path) -> Iterator[Warehouse | None]:
    """A DuckDB connection holding the workspace's drafts: its own file read-only, or (on a
    server) a scratch copy (``drafts_copy``) in ``scratch_dir``, deleted at the end. None
    while a DuckDB warehouse does not exist yet."""
    if ws.engine == "duckdb":
        with read_only(ws) as connection:
            yield connection
        return
    target = scratch_dir / "drafts.duckdb"
    try:
        drafts_copy(ws, target)
        with duckdb_file(str(target)) as connection:
            yield connection
    finally:
        for suffix in ("", ".wal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)


def publish_schema(ws: Workspace, scratch: Path, schema: str) -> int:
    """Replace the server's ``schema.*`` tables by the scratch file's (one transaction where
    the engine has them); the number of tables."""
    with duckdb_file(str(scratch), read_only=True) as source:
        tables = sorted(source.tables(schema))
        if not tables:
            return 0
        with connect(ws) as server:
            if not server.transactional:
                for table in tables:  # Spark: one table at a time (docs/modelling.md)
                    copy_relation(source, f"{schema}.{table}", server)
                return len(tables)
            with server.transaction():
                for table in tables:
                    copy_relation(source, f"{schema}.{table}", server)
    return len(tables)

