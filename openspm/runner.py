"""Run the Dagster jobs in this process: the CLI takes the same definitions as the UI."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from openspm.workspace import Workspace


class PipelineError(RuntimeError):
    """A job run failed; the message is the first failure's cause in one line."""


@dataclass(frozen=True)
class RunSummary:
    job_name: str
    run_id: str
    seconds: float
    steps: int


def _innermost_message(error) -> str:  # SerializableErrorInfo
    while error.cause is not None:
        error = error.cause
    message = (error.message or error.cls_name or "unknown error").strip()
    # "package.module.SomeError: what went wrong" -> "what went wrong"
    head, _, rest = message.partition(": ")
    return rest.strip() if error.cls_name and head.endswith(error.cls_name) else message


def _instance():
    """The instance of $DAGSTER_HOME (runs then show in the UI), else a throwaway one."""
    from dagster import DagsterInstance

    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def run_job(job_name: str, workspace: Workspace, *, quiet: bool = False) -> RunSummary:
    """Execute a job of ``pipelines.definitions`` on ``workspace``; PipelineError on failure."""
    from pipelines.definitions import defs

    job = defs.resolve_job_def(job_name)
    run_config = {
        "resources": {"workspace": {"config": {"path": str(workspace.root)}}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL" if quiet else "INFO"}}},
    }
    started = time.perf_counter()
    with _instance() as instance:
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
    seconds = time.perf_counter() - started
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        if failures:
            data = failures[0].step_failure_data
            step = failures[0].step_key or "a step"
            raise PipelineError(f"{step}: {_innermost_message(data.error)}")
        raise PipelineError(f"{job_name} failed (run {result.run_id})")
    steps = sum(1 for e in result.all_events if e.is_step_success)
    return RunSummary(job_name, result.run_id, seconds, steps)
