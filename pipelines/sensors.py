"""Sensors: a failed close launched from Dagster recorded for ``openspm status``.

A close that was refused as asked (the month closed, an earlier month open) changes nothing
and is not recorded. The sensor writes the warehouse, so it waits its turn for the workspace
lock; while a long command holds it, the failure is left to Dagster's run history (a sensor
must never fail because a close is running).
"""

from __future__ import annotations

import time

import dagster as dg

from assets.publish import REFUSED
from openspm.lock import WorkspaceBusy, workspace_lock
from openspm.periods import period_of_partition_key
from openspm.status import record_attempt
from openspm.warehouse import connect
from openspm.workspace import Workspace
from pipelines.jobs import close_job

LOCK_WAIT_SECONDS = 20.0


def _refused(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run's publication refused the request as asked (see assets.publish)."""
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        data = event.step_failure_data if event is not None else None
        failure = data.user_failure_data if data is not None else None
        if failure is not None and REFUSED in (failure.metadata or {}):
            return True
    return False


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
    if not key or _refused(context.instance, run.run_id):
        return
    config = (run.run_config or {}).get("resources", {}).get("workspace", {}).get("config", {})
    workspace = Workspace.open(config.get("path") or None)
    message = context.failure_event.message or "close failed"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            with (
                workspace_lock(workspace.root, f"recording failed run {run.run_id[:8]}"),
                connect(workspace) as connection,
            ):
                record_attempt(
                    connection, period_of_partition_key(key), "close", run.run_id, False, message
                )
            return
        except WorkspaceBusy as exc:
            if time.monotonic() > deadline:
                context.log.warning(f"failed close not recorded for openspm status: {exc}")
                return
            time.sleep(1.0)


sensors = [close_failure_sensor]
