"""The Dagster definitions load and wire landing ingestion into the dbt staging models."""

from __future__ import annotations

import dagster as dg

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
    graph = defs.resolve_asset_graph()
    published = graph.get(dg.AssetKey(["published_month"]))
    assert {s.asset_key for s in specs} <= set(published.parent_keys)
