"""``openspm model``: candidate plan sets run over the real credits of a range, compared.

``model_plans`` validates every scenario's plans first, copies the warehouse to a scratch file
beside it, forgets every published month in the copy, then for each scenario (the current
plans first) loads its compensation tables into the copy and runs the engine's dbt models for
``--from`` .. ``--to`` with first_period = ``--from``. The drafts each run leaves are
compared (openspm.modelling.results), written to the workspace's ``modelling`` schema (replaced
on every run; ``modelling.runs`` keeps one row per run) and to a report in
``out/modelling/<run>/``. The workspace's own finance, comp and draft tables are never written;
the scratch copy is deleted at the end.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from openspm.comp import write_comp_tables
from openspm.modelling.engine import copy_warehouse, empty_finance, run_engine
from openspm.modelling.report import read_data, write_report
from openspm.modelling.request import SCHEMA, ModelRequest, ModelResult, ScenarioOutcome
from openspm.modelling.results import OUT, TABLES, build_tables, collect
from openspm.modelling.scenarios import ModellingError, discover, load_scenario
from openspm.periods import PeriodError, checked_range
from openspm.warehouse import (
    DATABASE_ERRORS,
    WarehouseError,
    connect,
    describe,
    duckdb_file,
    quote_literal,
)
from openspm.whatif.scratch import publish_schema, server_scratch
from openspm.workspace import Workspace

Progress = Callable[[str], None]


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def model_plans(
    ws: Workspace, request: ModelRequest, progress: Progress | None = None
) -> ModelResult:
    """Model every scenario of ``request`` (ModellingError: why it cannot, in one line)."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    try:
        months = checked_range(request.first, request.through)
    except PeriodError as exc:
        raise ModellingError(str(exc)) from None
    first, through = months[0], months[-1]
    scenarios = discover(ws, request.plans, request.assignments, request.quotas)
    run_id = new_run_id()
    scratch = ws.state_dir / f"modelling-{run_id}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        configs = {
            s.name: load_scenario(ws, s, first, scratch / f"comp-{s.name}") for s in scenarios
        }
        warehouse = scratch / "warehouse.duckdb"
        say(f"copying the warehouse to {warehouse}")
        copy_warehouse(ws, warehouse)
        with duckdb_file(str(warehouse)) as connection:
            empty_finance(connection)
        seconds: dict[str, float] = {}
        for scenario in scenarios:
            say(
                f"{scenario.name}: {len(scenario.plan_files)} plan file(s), the engine "
                f"{first}..{through}"
            )
            with duckdb_file(str(warehouse)) as connection:
                write_comp_tables(configs[scenario.name], connection)
            seconds[scenario.name] = run_engine(ws, warehouse, first, through)
            with duckdb_file(str(warehouse)) as connection:
                collect(connection, scenario.name, through)
        say("comparing the scenarios")
        with duckdb_file(str(warehouse)) as connection:
            build_tables(connection, ws.settings.reporting_currency, first, through)
            notes = _notes(connection, scenarios)
            data = read_data(
                connection,
                OUT,
                run_id=run_id,
                first=first,
                through=through,
                currency=ws.settings.reporting_currency,
                notes=notes,
            )
            markdown, html = write_report(data, ws.out_dir / "modelling" / run_id)
            results = _results_file(ws, scratch)
            _publish(connection, results, run_id, request, first, through, html)
        if ws.engine != "duckdb":
            say(f"writing {SCHEMA}.* into the {ws.engine} warehouse")
            try:
                publish_schema(ws, results, SCHEMA)
            except DATABASE_ERRORS as exc:
                raise ModellingError(
                    f"cannot write {SCHEMA}.* into the warehouse {describe(ws)}: "
                    f"{' '.join(str(exc).split())[:300]}"
                ) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    outcomes = tuple(
        ScenarioOutcome(
            row["scenario"],
            row["total_cost"],
            row["change"],
            row["change_share"],
            row["cost_of_sales"],
            seconds.get(row["scenario"], 0.0),
        )
        for row in data.summary
    )
    return ModelResult(
        run_id,
        first,
        through,
        ws.settings.reporting_currency,
        outcomes,
        markdown,
        html,
        time.perf_counter() - started,
    )


def _notes(connection: duckdb.DuckDBPyConnection, scenarios: list) -> list[str]:
    notes = [
        "Manual adjustments and go-live opening balances are left out of every scenario: the "
        "comparison is what the plans cost. Quota periods begun before the range count as paid "
        "up to its start (the go-live rule), so each scenario's cost is the range's own."
    ]
    for scenario in scenarios:
        notes.append(
            f"{scenario.name}: plans from {scenario.source}, assignments {scenario.assignments}, "
            f"quotas {scenario.quotas}"
        )
    (missing,) = connection.execute(
        f"select coalesce(sum(missing_rates), 0) from {OUT}.summary"
    ).fetchone()  # type: ignore[misc]
    if missing:
        notes.append(
            f"{missing} amount(s) have no fx rate into the reporting currency at their month's "
            "end and are left out of the totals: deliver the rates (erp/fx_rates)"
        )
    return notes


def _results_file(ws: Workspace, scratch: Path) -> Path:
    """Where ``_publish`` writes ``modelling.*``: the workspace's DuckDB file, or (on a server)
    a scratch file holding the server's ``modelling.runs``, copied to the server after."""
    if ws.engine == "duckdb":
        return ws.warehouse_path
    results = scratch / "results.duckdb"
    try:
        with connect(ws, read_only=True) as server:
            server_scratch(server, results, [f"{SCHEMA}.runs"])
    except WarehouseError as exc:
        raise ModellingError(str(exc)) from None
    return results


def _publish(
    connection: duckdb.DuckDBPyConnection,
    target_file: Path,
    run_id: str,
    request: ModelRequest,
    first: str,
    through: str,
    report: Path,
) -> None:
    """Replace the ``modelling.*`` tables of ``target_file`` (the workspace's DuckDB
    warehouse, or the results file of a server's) with this run's, in one transaction."""
    target = quote_literal(str(target_file))
    try:
        connection.execute(f"attach {target} as workspace_warehouse")
    except duckdb.Error as exc:
        raise ModellingError(
            f"cannot write the results into {target_file}: {' '.join(str(exc).split())}"
        ) from None
    try:
        connection.execute("begin transaction")
        connection.execute(f"create schema if not exists workspace_warehouse.{SCHEMA}")
        for table in TABLES:
            connection.execute(
                f"create or replace table workspace_warehouse.{SCHEMA}.{table} as "
                f"select {quote_literal(run_id)} as run_id, * from {OUT}.{table}"
            )
        connection.execute(
            f"create table if not exists workspace_warehouse.{SCHEMA}.runs (run_id varchar, "
            "created_at timestamp, from_period varchar, to_period varchar, plans varchar, "
            "scenarios varchar[], report varchar)"
        )
        scenarios = [
            row[0] for row in connection.execute(f"select scenario from {OUT}.summary").fetchall()
        ]
        connection.execute(
            f"insert into workspace_warehouse.{SCHEMA}.runs values (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                datetime.now(UTC).replace(tzinfo=None),
                first,
                through,
                str(request.plans),
                scenarios,
                str(report),
            ],
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    finally:
        connection.execute("detach workspace_warehouse")
