"""Dagster resources shared by OpenSPM's assets."""

from __future__ import annotations

import dagster as dg

from openspm.workspace import Workspace

DUCKDB_WRITER_POOL = "duckdb_writer"  # DuckDB admits one writing process: steps share one slot


class WorkspaceResource(dg.ConfigurableResource):
    """The workspace a run works on: ``path``, else $OPENSPM_WORKSPACE, else the current dir."""

    path: str = ""

    def open(self) -> Workspace:
        return Workspace.open(self.path or None)
