"""OpenSPM's Dagster ``Definitions``: one per first month of the partitions.

``dagster dev`` loads ``defs`` (pyproject.toml), built for the workspace of the environment
($OPENSPM_WORKSPACE, else the current directory): its monthly partitions start at that
workspace's first_period. The commands build the definitions of the workspace they work on
(``definitions_for``); both are cached per first month.
"""

from __future__ import annotations

from functools import cache

import dagster as dg

from assets.comp_config import comp_config_tables
from assets.dbt_models import build_dbt_assets, dbt_cli_resource
from assets.ingestion import ingestion_assets
from assets.modelling import forecast_commission, modelling_results
from assets.month_files import build_month_file_assets
from assets.publish import build_publication
from assets.quality_checks import data_quality_checks
from assets.resources import WorkspaceResource
from assets.sources import source_assets, source_resources
from openspm.periods import partitions_start
from openspm.settings import SettingsError
from openspm.workspace import Workspace
from pipelines.jobs import (
    close_job,
    estimate_job,
    forecast_job,
    ingest_job,
    modelling_job,
    pipeline_job,
    pull_job,
)
from pipelines.run_log import openspm_logger
from pipelines.schedules import schedules
from pipelines.sensors import sensors


@cache
def build_definitions(first_month: str) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor, with partitions from ``first_month``."""
    return dg.Definitions(
        assets=[
            *source_assets,
            *ingestion_assets,
            comp_config_tables,
            build_dbt_assets(first_month),
            *build_month_file_assets(first_month),
            build_publication(first_month),
            modelling_results,
            forecast_commission,
        ],
        asset_checks=[data_quality_checks],
        jobs=[
            pull_job,
            ingest_job,
            pipeline_job,
            close_job,
            modelling_job,
            forecast_job,
            estimate_job,
        ],
        schedules=schedules,
        sensors=sensors,
        resources={
            "workspace": WorkspaceResource(),
            "dbt": dbt_cli_resource(),
            **source_resources,
        },
        loggers={"console": dg.colored_console_logger, "openspm": openspm_logger},
        # Steps run one after another in the run's process: DuckDB admits one writer.
        executor=dg.in_process_executor,
    )


def definitions_for(workspace: Workspace) -> dg.Definitions:
    """The definitions whose partitions start at ``workspace``'s first_period."""
    return build_definitions(partitions_start(workspace))


def _environment_workspace() -> Workspace | None:
    try:
        workspace = Workspace.open()
        workspace.settings  # noqa: B018 (no settings: no workspace here)
    except SettingsError:
        return None
    return workspace


defs = build_definitions(partitions_start(_environment_workspace()))
