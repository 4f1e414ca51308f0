"""Run the Dagster jobs in this process: the CLI takes the same definitions as the UI."""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagster import DagsterInstance
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from assets.run_tags import THROUGH_TAG
from openspm.workspace import Workspace
from pipelines.definitions import defs

if TYPE_CHECKING:
    from dagster._utils.error import SerializableErrorInfo


class PipelineError(RuntimeError):
    """A job run failed; the message is the first failure's cause in one line."""

    def __init__(self, message: str, run_id: str | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True)
class RunSummary:
    job_name: str
    run_id: str
    seconds: float
    steps: int


def _innermost_message(error: SerializableErrorInfo) -> str:
    while error.cause is not None:
        error = error.cause
    message = (error.message or error.cls_name or "unknown error").strip()
    # "package.module.SomeError: what went wrong" -> "what went wrong"
    head, _, rest = message.partition(": ")
    return rest.strip() if error.cls_name and head.endswith(error.cls_name) else message


def _instance() -> DagsterInstance:
    """The instance of $DAGSTER_HOME (runs then show in the UI), else a throwaway one."""
    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def run_job(
    job_name: str,
    workspace: Workspace,
    *,
    quiet: bool = False,
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    op_config: Mapping[str, Mapping[str, object]] | None = None,
) -> RunSummary:
    """Execute a job of ``pipelines.definitions`` on ``workspace``; PipelineError on failure.

    A partitioned job runs one partition (``partition_key``, e.g. ``2026-03-01``) or one range
    as a single run (``partition_range``, both ends included). Without either, it runs the
    latest partition with the tag ``openspm/through=latest`` (dbt's default through_period).
    ``op_config``: the config of an asset that takes one, by its op name (``modelling__results``).
    """
    job = defs.resolve_job_def(job_name)
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
                    f"month {key[:7]} is outside the months Dagster knows: {known[0][:7]} "
                    f"($OPENSPM_PARTITIONS_START) to the current month {known[-1][:7]}"
                )
    if partition_range is not None:
        run_tags[ASSET_PARTITION_RANGE_START_TAG] = partition_range[0]
        run_tags[ASSET_PARTITION_RANGE_END_TAG] = partition_range[1]
    workspace_config = {"path": str(workspace.root)}
    if workspace.warehouse_override is not None:
        workspace_config["warehouse"] = str(workspace.warehouse_override)
    run_config = {
        "resources": {"workspace": {"config": workspace_config}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL" if quiet else "INFO"}}},
    }
    if op_config:
        run_config["ops"] = {op: {"config": dict(config)} for op, config in op_config.items()}
    started = time.perf_counter()
    # dagster-dbt echoes dbt's log lines straight to stdout: --quiet drops them
    echo = contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext()
    with _instance() as instance, echo:
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            partition_key=partition_key,
            tags=run_tags or None,
        )
    seconds = time.perf_counter() - started
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        if failures:
            data = failures[0].step_failure_data
            step = failures[0].step_key or "a step"
            raise PipelineError(f"{step}: {_innermost_message(data.error)}", result.run_id)
        raise PipelineError(f"{job_name} failed (run {result.run_id})", result.run_id)
    steps = sum(1 for e in result.all_events if e.is_step_success)
    return RunSummary(job_name, result.run_id, seconds, steps)
