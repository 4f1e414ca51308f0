"""Helpers shared by the benchmarks: timing, dbt and CLI subprocesses, peak memory, artifacts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from openspm.dbt_project import DBT_PROJECT_DIR, WAREHOUSE_ENV, dbt_executable  # noqa: E402
from openspm.demo import DemoSize, GenerationSummary, generate_workspace  # noqa: E402

T = TypeVar("T")
BIN = Path(sys.executable).parent


def timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    """Run ``action`` and print its wall time."""
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<34} {seconds:8.1f} s", flush=True)
    return result, seconds


def generate(
    root: Path, *, deals: int, employees: int, months: int, start: date, seed: int = 7
) -> GenerationSummary:
    """A demo workspace of the given size in ``root`` (replacing an earlier demo there)."""
    size = DemoSize(employees=employees, deals=deals, months=months, start=start)
    return generate_workspace(root, seed=seed, size=size, overwrite=True)


# -- processes -------------------------------------------------------------------------------


@dataclass
class ProcessResult:
    """A finished subprocess: wall time, memory and output."""

    returncode: int
    wall: float
    peak_tree_mb: float  # largest sum of RSS over the process and its descendants (sampled)
    max_process_mb: float  # largest peak RSS (VmHWM) of a single process of the tree (sampled)
    stdout: str
    stderr: str


def _tree_rss_kb(pid: int) -> tuple[int, int]:
    """RSS of ``pid`` and every descendant, and the largest peak RSS (VmHWM) among them (KB).

    From /proc; (0, 0) when gone. VmHWM is each process's own high-water mark since its exec
    (rusage's ru_maxrss is not: a forked child starts with its parent's figure).
    """
    total, largest, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        largest = max(largest, int(line.split()[1]))
                    elif line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total, largest


def run_process(
    command: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> ProcessResult:
    """Run ``command``, sampling the RSS of its process tree every 50 ms."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(command),
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0, 0]  # sum over the tree, largest single process
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
    ]
    for reader in readers:
        reader.start()
    _, status, _usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    return ProcessResult(
        proc.returncode, wall, peak[0] / 1024, peak[1] / 1024, "".join(out), "".join(err)
    )


def dbt_command(folder: Path, warehouse: Path, *args: str) -> tuple[float, float, dict[str, Any]]:
    """Run dbt with its artifacts in ``folder``; (wall s, run_results elapsed s, run_results)."""
    env = {**os.environ, WAREHOUSE_ENV: str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        dbt_executable(), *args,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - started
    results = load_json(folder / "target" / "run_results.json")
    if done.returncode != 0:
        print(done.stdout[-5000:], done.stderr[-2000:])
        raise SystemExit(f"dbt {' '.join(args)} failed")
    return wall, float(results.get("elapsed_time", wall)), results


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


# -- what a run did ----------------------------------------------------------------------------


def dbt_node_times(run_results: dict[str, Any]) -> dict[str, float]:
    """Execution seconds per dbt node (``model.x`` / ``test.x`` short names)."""
    times: dict[str, float] = {}
    for result in run_results.get("results", []):
        kind, _, rest = str(result.get("unique_id", "?")).partition(".")
        name = rest.split(".", 1)[-1]
        times[f"{kind}.{name}"] = float(result.get("execution_time") or 0.0)
    return times


def slowest(times: dict[str, float], n: int = 6, prefix: str = "model.") -> list[tuple[str, float]]:
    nodes = [(k[len(prefix) :], v) for k, v in times.items() if k.startswith(prefix)]
    return sorted(nodes, key=lambda item: -item[1])[:n]


def dagster_home(folder: Path) -> Path:
    """A Dagster instance folder (absolute storage paths) for the benchmark's runs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {folder / 'storage'}\n"
        "local_artifact_storage:\n  module: dagster._core.storage.root\n"
        f"  class: LocalArtifactStorage\n  config:\n    base_dir: {folder / 'artifacts'}\n"
        "compute_logs:\n  module: dagster._core.storage.local_compute_log_manager\n"
        f"  class: LocalComputeLogManager\n  config:\n    base_dir: {folder / 'compute_logs'}\n"
        "concurrency:\n  pools:\n    default_limit: 1\n  runs:\n    max_concurrent_runs: 1\n"
        "telemetry:\n  enabled: false\n",
        encoding="utf-8",
    )
    return folder


def latest_run_timings(home: Path) -> dict[str, Any]:
    """Run wall time and step durations of the latest run in the instance at ``home``."""
    from dagster import DagsterInstance

    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            stats = instance.get_run_stats(run.run_id)
            steps = {
                s.step_key: (s.end_time or 0) - (s.start_time or 0)
                for s in instance.get_run_step_stats(run.run_id)
            }
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "run_seconds": (stats.end_time or 0) - (stats.start_time or 0),
        "steps": steps,
    }
