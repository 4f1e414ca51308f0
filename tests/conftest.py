"""Shared fixtures: one small generated workspace, built once per session through Dagster."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from openspm.dbt_project import ensure_manifest
from openspm.demo import DemoSize, generate_workspace
from openspm.warehouse import duckdb_file
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
    connection = duckdb_file(str(workspace.warehouse_path), read_only=True)
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
    run_job("pipeline_job", workspace)
    return workspace


OPENSPM = Path(sys.executable).parent / "openspm"  # the command as users run it


def copy_workspace(source: Workspace, root: Path) -> Workspace:
    """A copy of a built workspace (warehouse and dbt folder too; no lock, logs or scratch)."""
    ignore = shutil.ignore_patterns("lock", "logs", "validate", "status.json")
    shutil.copytree(source.root, root, ignore=ignore)
    return Workspace.open(root)


@pytest.fixture
def demo_copy(built_demo: Workspace, tmp_path: Path) -> Workspace:
    """A fresh copy of the session's built demo, for a test that changes it."""
    return copy_workspace(built_demo, tmp_path / "demo")


def cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``openspm`` in a subprocess (not a terminal: plain output), as a user would."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", WORKSPACE_ENV)}
    return subprocess.run(
        [str(OPENSPM), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
