"""The one Dagster ``Definitions`` of OpenSPM (``dagster dev`` loads it from pyproject.toml)."""

from __future__ import annotations

import dagster as dg

from assets.comp_config import comp_config_tables
from assets.dbt_models import dbt_cli_resource, openspm_dbt_models
from assets.ingestion import ingestion_assets
from assets.publish import published_month
from assets.quality_checks import data_quality_checks
from assets.resources import WorkspaceResource
from assets.sources import source_assets, source_resources
from pipelines.jobs import close_job, ingest_job, pipeline_job, pull_job
from pipelines.schedules import schedules
from pipelines.sensors import sensors

defs = dg.Definitions(
    assets=[
        *source_assets,
        *ingestion_assets,
        comp_config_tables,
        openspm_dbt_models,
        published_month,
    ],
    asset_checks=[data_quality_checks],
    jobs=[pull_job, ingest_job, pipeline_job, close_job],
    schedules=schedules,
    sensors=sensors,
    resources={"workspace": WorkspaceResource(), "dbt": dbt_cli_resource(), **source_resources},
    # Steps run one after another in the run's process: DuckDB admits one writer.
    executor=dg.in_process_executor,
)
