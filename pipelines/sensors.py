"""Sensors: a failed close launched from Dagster recorded for ``openspm status``."""

from __future__ import annotations

import dagster as dg
import duckdb

from openspm.periods import period_of_partition_key
from openspm.status import record_attempt
from openspm.workspace import Workspace
from pipelines.jobs import close_job


@dg.run_failure_sensor(
    name="close_failure_sensor",
    monitored_jobs=[close_job],
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Record a failed close launched from Dagster in ops.close_attempts "
    "(openspm status then shows the month as failing). The CLI records its own.",
)
def close_failure_sensor(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    key = run.tags.get("dagster/partition")
    if not key:
        return
    config = (run.run_config or {}).get("resources", {}).get("workspace", {}).get("config", {})
    workspace = Workspace.open(config.get("path") or None)
    message = context.failure_event.message or "close failed"
    with duckdb.connect(str(workspace.warehouse_path)) as connection:
        record_attempt(
            connection, period_of_partition_key(key), "close", run.run_id, False, message
        )


sensors = [close_failure_sensor]
