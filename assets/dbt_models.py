"""The dbt project's models, tests and unit tests as Dagster assets and asset checks.

The dbt project as Dagster sees it (``dbt_project``), the CLI resource that runs dbt
(``dbt_cli_resource``), and one asset that runs ``dbt build`` for the selected models and
months, with what it needs before (the finance tables, the incremental plan) and after (the
tests' outcomes recorded for the close report).
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache, cached_property
from graphlib import TopologicalSorter
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging.version import Version

from assets.partitions import SINGLE_RUN, monthly_partitions
from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from assets.run_tags import full_refresh, through_period
from openspm.accounting.policy import (
    ACCOUNTING_TAG,
    accounting_enabled,
    accounting_environment,
)
from openspm.dbt_project import (
    DBT_PROJECT_DIR,
    FIRST_PERIOD_ENV,
    THROUGH_PERIOD_ENV,
    dbt_executable,
    ensure_manifest,
    warehouse_environment,
)
from openspm.incremental import plan_build, prepare_build, record_build
from openspm.periods import PeriodError, first_period
from openspm.publish import FINANCE_SCHEMA, ensure_finance_tables
from openspm.quality import load_artifacts, outcomes_from_run_results, record_outcomes
from openspm.quality.gx_runner import import_in_background
from openspm.warehouse import DATABASE_ERRORS, connect
from openspm.workspace import Workspace

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class OpenSPMDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs of every ``dbt.cli`` call (~5 s).

    Before starting dbt, dagster-dbt runs ``dbt --version`` in a subprocess (~2 s) and builds
    a dbt adapter inside Dagster's process (~3 s), which only serves ``fetch_row_counts`` and
    ``fetch_column_metadata``; OpenSPM uses neither. The version is read from the installed
    package instead (the dbt beside this Python is the one run: see ``dbt_executable``).
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None  # no adapter: dagster-dbt then skips only the metadata fetches above


def dbt_cli_resource() -> DbtCliResource:
    return OpenSPMDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


class OpenSPMDbtTranslator(DagsterDbtTranslator):
    """Groups models by layer (staging, intermediate, marts); no edge back from finance.

    The engine reads the published history (``finance.*``, dbt sources) to settle what is
    still open, and the publication step writes it after the engine ran: drawn as an edge,
    that read would close a loop in the asset graph. The graph reads landing -> raw ->
    staging -> intermediate -> marts -> finance; the finance assets' descriptions say that the
    engine reads them back.
    """

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "model":
            fqn = dbt_resource_props.get("fqn", [])
            if len(fqn) > 2:
                return str(fqn[1])
        return super().get_group_name(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        deps = [d for d in spec.deps if d.asset_key.path[0] != FINANCE_SCHEMA]
        return spec.replace_attributes(deps=deps) if len(deps) != len(spec.deps) else spec


translator = OpenSPMDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@cache
def build_dbt_assets(first_month: str) -> dg.AssetsDefinition:
    """The dbt models as assets, partitioned by month from ``first_month``."""

    @dbt_assets(
        manifest=ensure_manifest(),
        project=dbt_project,
        dagster_dbt_translator=translator,
        pool=DUCKDB_WRITER_POOL,
        partitions_def=monthly_partitions(first_month),
        backfill_policy=SINGLE_RUN,
    )
    def openspm_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, workspace: WorkspaceResource
    ) -> Iterator[Any]:
        """``dbt build`` of the selected models, drafts from first_period through the month."""
        yield from build_models(context, dbt, workspace)

    return openspm_dbt_models


def build_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, workspace: WorkspaceResource
) -> Iterator[Any]:
    """``dbt build`` of the selected models, drafts from first_period through the partition."""
    import_in_background()  # the checks after this step need GX; its import overlaps dbt's run
    ws = workspace.open()
    periods = periods_for_run(context, ws)
    context.log.info(f"months settled: {periods}")
    with connect(ws) as connection:
        forced = full_refresh(context.run.tags)
        plan = plan_build(connection, DBT_PROJECT_DIR, force_full_refresh=forced)
        prepare_build(connection, plan)
    context.log.info(f"dbt build, {plan.describe()}")
    # Unit tests check the SQL, not the data: the dbt suites under tests/ run every one
    excluded = ["resource_type:unit_test"]
    if not accounting_enabled(ws.settings):  # its models (and their tests) are left out
        excluded.append(f"tag:{ACCOUNTING_TAG}")
    args = ["build", "--exclude", " ".join(excluded)]
    if plan.full_refresh:
        args.append("--full-refresh")
    # dbt's artifacts and log of the latest build stay with the workspace (one folder, reused:
    # a folder per invocation under dbt_project/target would grow by megabytes a run)
    target = ws.state_dir / "dbt"
    (target / "run_results.json").unlink(missing_ok=True)  # never read a stale one
    # The environment, not --vars: changed vars make dbt parse the whole project again (~2 s)
    policy = accounting_environment(ws.settings)  # docs/accounting.md: the elections
    with environment({**warehouse_environment(ws), **periods, **policy}):  # dbt starts in cli()
        invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target)
    yield from invocation.stream()
    record_dbt_outcomes(context.run_id, periods[THROUGH_PERIOD_ENV] or None, target, ws)
    if not invocation.is_successful():
        run_results = invocation.get_artifact("run_results.json")
        raise DbtBuildError(describe_failures(run_results, ws))
    if not accounting_enabled(ws.settings):
        yield from left_out(context, ACCOUNTING_TAG, "accounting.enabled is false")
    if context.selected_asset_keys >= context.assets_def.keys:  # every model: the next base
        with connect(ws) as connection:
            record_build(connection, plan)


def left_out(context: dg.AssetExecutionContext, tag: str, why: str) -> Iterator[dg.Output]:
    """An empty output for each selected model of ``tag`` the build left out, saying why: the
    steps after them (checks, publication) run; no table was built. In dependency order, as
    Dagster wants a multi-asset's outputs."""
    specs = context.assets_def.specs_by_key
    keys = {k for k in context.selected_asset_keys if tag in specs[k].tags}
    deps = context.assets_def.asset_deps
    order = TopologicalSorter({k: deps.get(k, set()) & keys for k in keys}).static_order()
    for key in order:
        if key in keys:
            yield dg.Output(
                None,
                output_name=context.assets_def.get_output_name_for_asset_key(key),
                metadata={"left out": why},
            )


def record_dbt_outcomes(run_id: str, period: str | None, target: Path, ws: Workspace) -> None:
    """dbt's tests and models as check outcomes of this run in quality.* (the close report)."""
    try:
        run_results, manifest = load_artifacts(target)
    except (OSError, ValueError):
        return  # dbt stopped before writing results; the step's failure says why
    with connect(ws) as connection:
        outcomes = outcomes_from_run_results(run_results, connection, manifest)
        record_outcomes(connection, run_id, period, outcomes)


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in os.environ for the block only (runs share this process, e.g. in tests)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def periods_for_run(context: dg.AssetExecutionContext, ws: Workspace) -> dict[str, str]:
    """The months dbt settles, as its environment (empty: dbt's default); creates finance.*."""
    periods = {FIRST_PERIOD_ENV: "", THROUGH_PERIOD_ENV: ""}
    with connect(ws) as connection:
        ensure_finance_tables(connection)  # declared as the dbt source `finance`
        try:
            periods[FIRST_PERIOD_ENV] = first_period(ws, connection)
        except PeriodError as exc:
            context.log.warning(f"{exc}; dbt uses its default")
    periods[THROUGH_PERIOD_ENV] = through_period(context.run.tags) or ""
    return periods


class DbtBuildError(RuntimeError):
    """dbt build finished with failing models, tests or unit tests."""


def failing_rows(ws: Workspace, relation: str, limit: int = 3) -> list[str]:
    """The first rows a failing test stored (its ``description`` column when it has one)."""
    try:
        with connect(ws, read_only=True) as connection:
            cursor = connection.execute(f"select * from {relation} limit {limit}")
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
    except DATABASE_ERRORS:
        return []
    if "description" in names:
        return [str(row[names.index("description")]) for row in rows]
    return [", ".join(f"{n}={v}" for n, v in zip(names, row, strict=True)) for row in rows]


def describe_failures(run_results: Mapping[str, Any], ws: Workspace) -> str:
    """One line naming every failing dbt node, why, and the first offending rows."""
    failed = [r for r in run_results.get("results", []) if r.get("status") in ("error", "fail")]
    if not failed:
        return "dbt build failed; see the dbt log in the run's compute logs"
    parts = []
    for result in failed:
        name = str(result.get("unique_id", "?")).split(".", 2)[-1]
        message = " ".join(str(result.get("message") or result.get("status")).split())
        rows = (
            failing_rows(ws, result["relation_name"]) if result.get("relation_name") else []
        )
        parts.append(f"{name} ({message[:300]})" + "".join(f"; {row}" for row in rows))
    return f"dbt build failed: {len(failed)} node(s): " + " | ".join(parts)
