"""Shared fixtures: one small generated workspace, built once per session through Dagster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from openspm.dbt_project import ensure_manifest
from openspm.demo import DemoSize, generate_workspace
from openspm.workspace import WORKSPACE_ENV, Workspace
from pipelines.runner import run_job

SMALL = DemoSize(employees=40, deals=3_000, months=14)


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment() -> Iterator[None]:
    """No test may read the developer's Dagster instance or workspace."""
    saved = {k: os.environ.pop(k, None) for k in ("DAGSTER_HOME", WORKSPACE_ENV)}
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    ensure_manifest()
    yield
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


@contextmanager
def warehouse(workspace: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit (DuckDB admits one writing process)."""
    connection = duckdb.connect(str(workspace.warehouse_path), read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def query(workspace: Workspace, sql: str) -> list[tuple[Any, ...]]:
    with warehouse(workspace) as connection:
        return connection.sql(sql).fetchall()


def make_workspace(root: Path, *, seed: int = 11, size: DemoSize = SMALL) -> Workspace:
    generate_workspace(root, seed=seed, size=size)
    return Workspace.open(root)


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A small demo workspace after one full pipeline run (ingestion and dbt build)."""
    workspace = make_workspace(tmp_path_factory.mktemp("built_demo"))
    run_job("pipeline_job", workspace, quiet=True)
    return workspace
