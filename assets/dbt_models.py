"""The dbt project's models, tests and unit tests as Dagster assets and asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from pipelines.dbt_project import WAREHOUSE_ENV, dbt_project, ensure_manifest
from pipelines.resources import DUCKDB_WRITER_POOL, WorkspaceResource


class OpenSPMDbtTranslator(DagsterDbtTranslator):
    """Groups models by layer (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "model":
            fqn = dbt_resource_props.get("fqn", [])
            if len(fqn) > 2:
                return str(fqn[1])
        return super().get_group_name(dbt_resource_props)


translator = OpenSPMDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=DUCKDB_WRITER_POOL,
)
def openspm_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, workspace: WorkspaceResource
) -> Iterator[Any]:
    """``dbt build`` of the selected models against the workspace's warehouse."""
    os.environ[WAREHOUSE_ENV] = str(workspace.open().warehouse_path)
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        raise DbtBuildError(describe_failures(invocation.get_artifact("run_results.json")))


class DbtBuildError(RuntimeError):
    """dbt build finished with failing models, tests or unit tests."""


def describe_failures(run_results: Mapping[str, Any]) -> str:
    """One line naming every failing dbt node and why (from run_results.json)."""
    failed = [r for r in run_results.get("results", []) if r.get("status") in ("error", "fail")]
    if not failed:
        return "dbt build failed; see the dbt log in the run's compute logs"
    parts = []
    for result in failed:
        name = str(result.get("unique_id", "?")).split(".", 2)[-1]
        message = " ".join(str(result.get("message") or result.get("status")).split())
        parts.append(f"{name} ({message[:300]})")
    return f"dbt build failed: {len(failed)} node(s): " + "; ".join(parts)
