"""Schedules: nightly drafts of the open month, and the monthly close of the month just ended.

Both are created stopped: turn them on in the Dagster UI (or set default_status) once the
workspace is ready. They need the daemon (``dagster dev`` runs one).
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from openspm.periods import partition_key, period_of, period_of_partition_key, previous_period
from pipelines.jobs import close_job, pipeline_job


@dg.schedule(
    name="nightly_refresh_schedule",
    cron_schedule="0 2 * * *",
    job=pipeline_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every night at 02:00: recompute the drafts through the current (open) month.",
)
def nightly_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    moment: datetime = context.scheduled_execution_time
    key = partition_key(period_of(moment.date()))
    return dg.RunRequest(run_key=f"refresh-{moment:%Y-%m-%d}", partition_key=key)


@dg.schedule(
    name="monthly_close_schedule",
    cron_schedule="0 4 1 * *",
    job=close_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="On the 1st at 04:00: close the month that just ended.",
)
def monthly_close_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    moment: datetime = context.scheduled_execution_time
    period = previous_period(period_of(moment.date()))
    return dg.RunRequest(run_key=f"close-{period}", partition_key=partition_key(period))


@dg.run_failure_sensor(
    name="close_failure_sensor",
    monitored_jobs=[close_job],
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Record a failed close launched from Dagster in finance.close_attempts "
    "(openspm status then shows the month as failing). The CLI records its own.",
)
def close_failure_sensor(context: dg.RunFailureSensorContext) -> None:
    import duckdb

    from openspm.status import record_attempt
    from openspm.workspace import Workspace

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


schedules = [nightly_refresh_schedule, monthly_close_schedule]
sensors = [close_failure_sensor]
