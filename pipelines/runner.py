"""Run the Dagster jobs in this process: the CLI takes the same definitions as the UI.

Every run writes a log file (``<workspace>/.openspm/logs/``: Dagster's events with their full
stack traces, dbt's output); a failure comes back as a ``PipelineError`` whose message is the
first failure's cause in one line and which names that file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import DagsterInstance
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from assets.dbt_models import build_dbt_assets
from assets.run_tags import THROUGH_TAG
from openspm.lock import workspace_lock
from openspm.periods import partitions_start
from openspm.workspace import Workspace
from pipelines.definitions import definitions_for
from pipelines.run_log import Listener, RunEvent, innermost_message, new_log_path, run_log


class PipelineError(RuntimeError):
    """A job run failed; the message is the first failure's cause in one line."""

    def __init__(
        self, message: str, run_id: str | None = None, log_path: Path | None = None
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.log_path = log_path


@dataclass(frozen=True)
class RunSummary:
    job_name: str
    run_id: str
    seconds: float
    steps: int
    log_path: Path | None = None
    # asset key ("raw/crm__deals") -> the metadata of its materialization in this run
    materialized: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    checks: int = 0  # asset check evaluations (dbt tests, data-quality checks)


def _instance() -> DagsterInstance:
    """The instance of $DAGSTER_HOME (runs then show in the UI), else a throwaway one."""
    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def run_job(
    job_name: str,
    workspace: Workspace,
    *,
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    listener: Listener | None = None,
    log_path: Path | None = None,
    op_config: Mapping[str, Mapping[str, object]] | None = None,
) -> RunSummary:
    """Execute a job on ``workspace``; PipelineError (naming the log file) on failure.

    A partitioned job runs one partition (``partition_key``, e.g. ``2026-03-01``) or one range
    as a single run (``partition_range``, both ends included). Without either, it runs the
    latest partition with the tag ``openspm/through=latest`` (dbt's default through_period).
    ``listener`` receives the run's events as they happen (progress); ``log_path`` defaults to
    a new file in the workspace's log folder.
    ``op_config``: the config of an asset that takes one, by its op name (``modelling__results``).
    """
    job = definitions_for(workspace).resolve_job_def(job_name)
    run_tags = dict(tags or {})
    if job.partitions_def is not None and partition_key is None and partition_range is None:
        partition_key = job.partitions_def.get_last_partition_key()
        run_tags.setdefault(THROUGH_TAG, "latest")
    if job.partitions_def is not None:
        keys = [partition_key] if partition_key else list(partition_range or ())
        known = job.partitions_def.get_partition_keys()
        for key in keys:
            if key not in known:
                raise PipelineError(
                    f"month {key[:7]} is outside the months of this workspace: "
                    f"{known[0][:7]} (first_period) to the current month {known[-1][:7]}"
                )
    if partition_range is not None:
        run_tags[ASSET_PARTITION_RANGE_START_TAG] = partition_range[0]
        run_tags[ASSET_PARTITION_RANGE_END_TAG] = partition_range[1]
    workspace_config = {"path": str(workspace.root)}
    if workspace.warehouse_override is not None:
        workspace_config["warehouse"] = str(workspace.warehouse_override)
    run_config = {
        "resources": {"workspace": {"config": workspace_config}},
        # the terminal shows what the command chooses; everything goes to the log file
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}, "openspm": {}},
    }
    path = log_path or new_log_path(workspace.logs_dir, job_name)
    if listener is not None:
        dbt_models = build_dbt_assets(partitions_start(workspace))
        dbt_nodes = len(dbt_models.keys) + len(dbt_models.check_keys)
        sizes = {"steps": len(job.nodes), "dbt_nodes": dbt_nodes}
        listener(RunEvent("run_started", None, metadata=sizes))
    if op_config:
        run_config["ops"] = {op: {"config": dict(config)} for op, config in op_config.items()}
    started = time.perf_counter()
    with (
        workspace_lock(workspace.root, job_name),
        _instance() as instance,
        run_log(path, listener),
    ):
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            partition_key=partition_key,
            tags=run_tags or None,
        )
    seconds = time.perf_counter() - started
    if not result.success:
        raise PipelineError(_failure(job_name, result), result.run_id, path)
    events = result.all_events
    materialized = {
        e.event_specific_data.materialization.asset_key.to_user_string(): {
            k: getattr(v, "value", v)
            for k, v in e.event_specific_data.materialization.metadata.items()
        }
        for e in events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    return RunSummary(
        job_name,
        result.run_id,
        seconds,
        sum(1 for e in events if e.is_step_success),
        path,
        materialized,
        sum(1 for e in events if e.event_type_value == "ASSET_CHECK_EVALUATION"),
    )


def _failure(job_name: str, result: Any) -> str:
    """The first failure of a run in one line: the failing step and its cause."""
    for event in result.all_events:
        if event.is_step_failure:
            step = event.step_key or "a step"
            return f"{step}: {innermost_message(event.step_failure_data.error)}"
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        if event.event_type_value in ("RUN_FAILURE", "RESOURCE_INIT_FAILURE") and error:
            return innermost_message(error)
    return f"{job_name} failed (run {result.run_id})"
