"""Schedules: the nightly pull of the connectors, nightly drafts of the open month, and the
monthly close of the month just ended.

All are created stopped: turn them on in the Dagster UI (or set default_status) once the
workspace is ready. They need the daemon (``dagster dev`` runs one).
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from openspm.periods import partition_key, period_of, previous_period
from pipelines.jobs import close_job, pipeline_job, pull_job


@dg.schedule(
    name="nightly_pull_schedule",
    cron_schedule="0 1 * * *",
    job=pull_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every night at 01:00, before the 02:00 refresh: pull every configured source "
    "(connectors) and load what landed.",
)
def nightly_pull_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    moment: datetime = context.scheduled_execution_time
    return dg.RunRequest(run_key=f"pull-{moment:%Y-%m-%d}")


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


schedules = [nightly_pull_schedule, nightly_refresh_schedule, monthly_close_schedule]
