"""The engine on a scratch copy of the warehouse: one dbt run per scenario, nothing else changed.

``copy_warehouse`` copies the workspace's warehouse while holding a read-only connection (no
writer can change it meanwhile); on a server warehouse (PostgreSQL, Spark) it builds the
scratch DuckDB file from the server instead: the relations the run reads and does not rebuild
(``engine_inputs``, from the dbt manifest), finance's left out since the copy empties them
(openspm.whatif.scratch). ``empty_finance`` forgets every published month in the copy, so each
scenario starts with nothing paid at ``--from`` (first_period). ``run_engine`` runs ``dbt run``
(DuckDB) over the models that read the compensation tables or the published history (dbt's
selectors ``source:comp+ source:finance+``, incremental ones rebuilt whole; the credit ledger
and the accounting left out): staging, the hierarchy and the deals' person credits are the
copy's, built by the workspace's last run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from openspm.dbt_project import (
    DBT_PROJECT_DIR,
    TARGET_ENV,
    WAREHOUSE_ENV,
    dbt_executable,
    project_manifest,
)
from openspm.modelling.scenarios import ModellingError
from openspm.publish import FINANCE_SCHEMA, ensure_finance_tables
from openspm.warehouse import Warehouse, WarehouseError, missing_tables, read_only
from openspm.whatif.scratch import EXCLUDED_MODELS, EXCLUDED_PATHS, excluded_models, server_scratch
from openspm.workspace import Workspace

SELECTED_SOURCES = ("comp", "finance")
SELECTION = tuple(f"source:{source}+" for source in SELECTED_SOURCES)
# what a what-if does not read: the credit ledger and the commission accounting
EXCLUDED = (*(f"{m}+" for m in EXCLUDED_MODELS), *(f"path:{p}+" for p in EXCLUDED_PATHS))
FIRST_PERIOD_ENV = "OPENSPM_FIRST_PERIOD"
THROUGH_PERIOD_ENV = "OPENSPM_THROUGH_PERIOD"
NEEDED = ("staging.stg_crm__deals", "intermediate.int_deal_credits", "comp.plans")


def selected_models() -> frozenset[str]:
    """The models ``run_engine`` rebuilds (what dbt's SELECTION minus EXCLUDED picks)."""
    manifest = project_manifest()
    return manifest.downstream(sources=SELECTED_SOURCES) - excluded_models()


def engine_inputs() -> frozenset[str]:
    """The relations ``run_engine`` reads and does not rebuild (``schema.name``)."""
    return project_manifest().inputs(selected_models())


def copy_warehouse(ws: Workspace, target: Path) -> None:
    """Copy the workspace's warehouse (and its write-ahead log) to ``target``; on a server,
    the relations the engine's run reads (finance's aside: the copy starts without them)."""
    try:
        with read_only(ws) as connection:
            if connection is None:
                raise ModellingError(
                    f"no warehouse at {ws.warehouse_path}: run `openspm run` first"
                )
            _check_built(connection)
            if connection.engine != "duckdb":
                inputs = [r for r in engine_inputs() if not r.startswith(f"{FINANCE_SCHEMA}.")]
                server_scratch(connection, target, inputs)
                return
            source = ws.warehouse_path
            for suffix in ("", ".wal"):
                original = source.with_name(source.name + suffix)
                if original.exists():
                    shutil.copyfile(original, target.with_name(target.name + suffix))
    except WarehouseError as exc:
        raise ModellingError(str(exc)) from None


def _check_built(connection: Warehouse) -> None:
    missing = missing_tables(connection, NEEDED)
    if missing:
        raise ModellingError(
            f"the warehouse has not been built ({', '.join(missing)} missing): run "
            "`openspm run` first"
        )


def empty_finance(connection: Warehouse) -> None:
    """Delete every row of ``finance.*`` in a scratch copy (never the workspace's own)."""
    ensure_finance_tables(connection)
    tables = connection.execute(
        "select table_name from duckdb_tables() where schema_name = ?", [FINANCE_SCHEMA]
    ).fetchall()
    for (table,) in tables:
        connection.execute(f'delete from {FINANCE_SCHEMA}."{table}"')


def run_engine(ws: Workspace, warehouse: Path, first: str, through: str) -> float:
    """``dbt run`` of the engine on ``warehouse`` for first..through; its seconds.

    ModellingError names the first failing model and dbt's message.
    """
    target = ws.state_dir / "dbt-modelling"  # kept: dbt's partial parse makes the next run quicker
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").unlink(missing_ok=True)
    command = [
        dbt_executable(),
        "run",
        "--quiet",
        "--full-refresh",
        "--select",
        *SELECTION,
        "--exclude",
        *EXCLUDED,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        TARGET_ENV: "local",  # the scratch copy is DuckDB, whatever the workspace's engine
        WAREHOUSE_ENV: str(warehouse),
        FIRST_PERIOD_ENV: first,
        THROUGH_PERIOD_ENV: through,
    }
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ModellingError(f"the engine failed on the scratch copy: {_cause(target, done)}")
    return time.perf_counter() - started


def _cause(target: Path, done: subprocess.CompletedProcess[str]) -> str:
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        results = {}
    for result in results.get("results", []):
        if result.get("status") in ("error", "fail"):
            node = str(result.get("unique_id", "?")).split(".")[-1]
            return f"{node}: {' '.join(str(result.get('message')).split())[:400]}"
    text = " ".join((done.stderr or done.stdout or "dbt failed").split())
    return text[-400:]
