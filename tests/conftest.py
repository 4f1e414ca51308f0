"""Shared fixtures: one small generated workspace, built once per session through Dagster."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from engine_workspace import generate_engine_workspace, server_copy, spark_warehouse
from servers import PostgresServer, SparkConnectServer

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


# ---------------------------------------------------------------- server warehouses
# One server of each engine per session, started on first use and stopped at the end. CI has
# PostgreSQL's binaries and Java: a missing one FAILS the engine tests (never a silent skip).

PG_PASSWORD_ENV = "OPENSPM_TEST_PG_PASSWORD"  # the ${ENV} the test workspaces reference


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (initdb into a temporary folder, a free port of 127.0.0.1).

    The folder is not pytest's (private to root): the ``postgres`` user must reach it."""
    folder = Path(tempfile.mkdtemp(prefix="openspm-test-pg-"))
    server = PostgresServer(folder)
    try:
        server.start()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        pytest.fail(
            f"cannot start the PostgreSQL server the postgres tests need ({exc}; "
            f"{detail.decode(errors='replace').strip()[:300]}): install PostgreSQL so that "
            "initdb and pg_ctl are on PATH (and a 'postgres' user exists when running as root)",
            pytrace=False,
        )
    os.environ[PG_PASSWORD_ENV] = server.password
    yield server
    server.stop()
    os.environ.pop(PG_PASSWORD_ENV, None)
    shutil.rmtree(folder, ignore_errors=True)


SPARK_SELECTED = pytest.StashKey[bool]()
SPARK_CLOSE = pytest.StashKey["BackgroundSparkClose"]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The spark tests run last: their server and close start in the background when the
    session does (``_spark_close_in_background``) and overlap the rest of the suite."""
    spark = [item for item in items if item.get_closest_marker("spark")]
    if spark:
        items[:] = [item for item in items if not item.get_closest_marker("spark")] + spark
    config.stash[SPARK_SELECTED] = bool(spark)


def start_spark_server(folder: Path) -> SparkConnectServer:
    """A local Spark Connect server (PySpark's own, local mode); RuntimeError says why not."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("the spark tests need Java 17+ (java on PATH or JAVA_HOME)")
    server = SparkConnectServer(folder)
    try:
        return server.start()
    except (OSError, RuntimeError, ImportError) as exc:
        server.stop()
        log = server.folder / "server.log"
        tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
        raise RuntimeError(
            f"cannot start the Spark Connect server the spark tests need: {exc}; "
            + " | ".join(tail)
        ) from None


class BackgroundSparkClose:
    """The spark tests' server and three-month close of the engine workspace, run in a thread
    from the session's start: a Spark close costs minutes of fixed per-statement costs, which
    overlap the rest of the suite instead of adding to it (the spark tests run last)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.server: SparkConnectServer | None = None
        self.closed: Workspace | None = None
        self.close_error: str | None = None
        self.seconds: float | None = None
        self.thread = threading.Thread(target=self._run, name="spark-close", daemon=True)

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self.server = start_spark_server(self.folder / "spark")
            months = generate_engine_workspace(self.folder / "source")
            workspace = server_copy(
                self.folder / "source", self.folder / "ws", spark_warehouse(self.server.port)
            )
            done = cli("close", "--through", months[-1], "--workspace", str(workspace.root),
                       timeout=2700)  # fmt: skip
            if done.returncode == 0:
                self.closed = workspace
            else:
                self.close_error = (
                    f"openspm close --through {months[-1]} failed on Spark: "
                    f"{done.stdout[-3000:]} {done.stderr[-3000:]}"
                )
        except RuntimeError as exc:  # the server did not start
            self.close_error = str(exc)
        except Exception as exc:  # reported by the tests that need the close
            self.close_error = f"the Spark close did not run: {type(exc).__name__}: {exc}"
        finally:
            self.seconds = time.perf_counter() - started

    def wait_for_close(self) -> Workspace:
        self.thread.join()
        if self.closed is None:
            pytest.fail(self.close_error or "the Spark close did not finish", pytrace=False)
        return self.closed


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """How long the Spark close took in the background (CI's figure for docs/scaling.md)."""
    background = config.stash.get(SPARK_CLOSE, None)
    if background is not None and background.seconds is not None:
        outcome = "closed" if background.closed is not None else "did not close"
        terminalreporter.write_line(
            f"Spark engine workspace: server and three-month close ({outcome}) in "
            f"{background.seconds:.0f} s, in the background"
        )


@pytest.fixture(scope="session", autouse=True)
def _spark_close_in_background(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundSparkClose | None]:
    """Started with the session when spark tests are selected (else None)."""
    if not request.config.stash.get(SPARK_SELECTED, False):
        yield None
        return
    background = BackgroundSparkClose(tmp_path_factory.mktemp("engine_spark"))
    request.config.stash[SPARK_CLOSE] = background
    background.thread.start()
    yield background
    if background.server is not None:
        background.server.stop()
    background.thread.join(timeout=60)


@pytest.fixture(scope="session")
def spark_closed(_spark_close_in_background: BackgroundSparkClose | None) -> Workspace:
    """The engine workspace closed over three months on Spark (in the background)."""
    assert _spark_close_in_background is not None, "only tests marked spark use spark_closed"
    return _spark_close_in_background.wait_for_close()
