"""The Dagster definitions load and wire landing ingestion into the dbt staging models."""

from __future__ import annotations

import dagster as dg
from dagster._core.execution.api import create_execution_plan

from openspm.entities import ENTITIES
from pipelines.definitions import defs


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_graph_connects_every_landing_entity_to_its_staging_model() -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for ent in ENTITIES:
        raw = dg.AssetKey(["raw", ent.table])
        staging = dg.AssetKey([f"stg_{ent.table}"])
        assert raw.to_user_string() in keys
        assert staging.to_user_string() in keys, staging
        assert raw in graph.get(staging).parent_keys


def test_jobs_and_single_writer() -> None:
    assert {job.name for job in defs.resolve_all_job_defs()} >= {"ingest_job", "pipeline_job"}
    ingest = defs.resolve_job_def("ingest_job")
    assert len(ingest.asset_layer.selected_asset_keys) == len(ENTITIES)
    assert defs.resolve_job_def("pipeline_job").executor_def.name == "in_process"


def test_every_quality_check_is_an_asset_check_and_the_blocking_ones_block() -> None:
    from assets.quality_checks import data_quality_checks
    from openspm.quality import CHECKS

    specs = list(data_quality_checks.check_specs)
    for check in CHECKS:
        mine = [s for s in specs if s.name == check.name]
        assert mine, check.name
        assert all(s.blocking == check.blocking for s in mine), check.name
    # the publication step waits for the checks' step (it reads the outcomes they recorded)
    # and for the month's staged files (statements and payroll are published with the tables)
    plan = create_execution_plan(
        defs.resolve_job_def("close_job"), run_config={}, tags={"dagster/partition": "2026-01-01"}
    )
    waits_for = {
        key for i in plan.get_step_by_key("publish_month").step_inputs for key in i.dependency_keys
    }
    assert waits_for == {"data_quality_checks", "openspm_dbt_models", "staged_month_files"}
