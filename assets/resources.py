"""The resources OpenSPM's assets share: the workspace of a run, and the one DuckDB writer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from openspm.lock import workspace_lock
from openspm.workspace import Workspace

DUCKDB_WRITER_POOL = "duckdb_writer"  # DuckDB admits one writing process: steps share one slot
DUCKDB_MEMORY_LIMIT_ENV = "OPENSPM_DUCKDB_MEMORY_LIMIT"  # also read by dbt_project/profiles.yml
DUCKDB_MEMORY_LIMIT = "2GB"


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the big steps (beyond it joins and sorts spill to disk)."""
    return os.environ.get(DUCKDB_MEMORY_LIMIT_ENV) or DUCKDB_MEMORY_LIMIT


class WorkspaceResource(dg.ConfigurableResource):
    """The workspace a run works on: ``path``, else $OPENSPM_WORKSPACE, else the current dir.

    ``warehouse`` (optional) replaces the workspace's warehouse file for this run. A run holds
    the workspace lock (``openspm.lock``) from its first step to its end: a run launched from
    the Dagster UI while a command writes the workspace fails at once, naming the command.
    """

    path: str = ""
    warehouse: str = ""

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WorkspaceResource]:
        run = context.dagster_run
        activity = "a Dagster run"
        if run is not None:
            month = run.tags.get("dagster/partition", "")[:7]
            what = f"{run.job_name} {month}" if month else run.job_name
            activity = f"Dagster run {run.run_id[:8]} ({what})"
        with workspace_lock(self.open().root, activity):
            yield self

    def open(self) -> Workspace:
        ws = Workspace.open(self.path or None)
        if self.warehouse:
            return Workspace(ws.root, warehouse_override=Path(self.warehouse).resolve())
        return ws
