"""What the month's files (statements, payroll) add to a close, at 10,000 employees.

    .venv/bin/python bench/bench_statements.py [--employees 10000] [--deals 100000]

A demo workspace (10,000 employees in a 5-level hierarchy, 24 months from 2025-01) is generated
in a temporary folder with first_period 2026-09; 2026-09 then 2026-10 are closed with
``openspm close`` (subprocesses, a Dagster instance of their own). The first close's ledger
holds every credit dated up to its month's end (the go-live month, the heaviest month there is:
its statements list the month's credits and count the earlier ones in one row per line);
2026-10 is an ordinary month. Reported per close:
wall time and the Dagster steps ``staged_month_files`` (gather, render, write, read back by the
totals gate) and ``month_files`` (close report, rename); then both months' files rebuilt from
finance in this process, phase by phase. Figures go to
bench/results/statements-<employees>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, dagster_home, generate, latest_run_timings, run_process
from run_bench import set_first_period

from openspm.statements import FinanceSource, MonthData, build_statement, render_csv, render_html
from openspm.statements.month_files import (
    add_close_report,
    month_dir,
    place_month_files,
    stage_month_files,
)
from openspm.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"
FIRST = "2026-09"
PERIODS = ("2026-09", "2026-10")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the workspace")
    parser.add_argument(
        "--rebuild-only", type=Path, metavar="WORKSPACE",
        help="only time the rebuild of both months in a workspace kept by --keep",
    )
    args = parser.parse_args()
    if args.rebuild_only:
        ws = Workspace.open(args.rebuild_only)
        print(json.dumps({p: rebuild_phases(ws, p) for p in PERIODS}, indent=2))
        return
    folder = Path(tempfile.mkdtemp(prefix="openspm-bench-statements-"))
    root = folder / "ws"
    try:
        figures = run(root, folder, args.employees, args.deals)
    finally:
        if args.keep:
            print(f"workspace kept: {root}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"statements-{args.employees}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"written to {out}")


def run(root: Path, folder: Path, employees: int, deals: int) -> dict:
    started = time.perf_counter()
    generate(root, deals=deals, employees=employees, months=24, start=date(2025, 1, 1))
    set_first_period(root, FIRST)
    generated = time.perf_counter() - started
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home(folder / "dagster")))
    env.pop("OPENSPM_WORKSPACE", None)
    figures: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "employees": employees,
        "deals": deals,
        "generate_seconds": round(generated, 1),
    }
    ws = Workspace.open(root)
    for period in PERIODS:
        command = [str(BIN / "openspm"), "close", "--period", period, "--workspace", str(root),
                   "--quiet"]
        close = run_process(command, env=env)
        if close.returncode != 0:
            raise SystemExit(f"close failed: {close.stderr.strip() or close.stdout.strip()}")
        steps = latest_run_timings(folder / "dagster")["steps"]
        figures[period] = {
            "statements": len(list((month_dir(ws, period) / "statements").glob("*.html"))),
            "close_wall_seconds": round(close.wall, 1),
            "close_peak_tree_mb": round(close.peak_tree_mb),
            "step_staged_month_files_seconds": round(steps.get("staged_month_files", 0), 2),
            "step_month_files_seconds": round(steps.get("month_files", 0), 2),
            "added_to_close_seconds": round(
                steps.get("staged_month_files", 0) + steps.get("month_files", 0), 2
            ),
        }
    for period in PERIODS:
        figures[period]["rebuild_from_finance"] = rebuild_phases(ws, period)
    return figures


def rebuild_phases(ws: Workspace, period: str) -> dict:
    """The month's files rebuilt from finance in this process, timed phase by phase: wall
    seconds and this process's CPU seconds (the machine is shared: CPU is the steadier one)."""
    shutil.rmtree(month_dir(ws, period))
    wall: list[float] = [time.perf_counter()]
    cpu: list[float] = [time.process_time()]

    def lap() -> None:
        wall.append(time.perf_counter())
        cpu.append(time.process_time())

    with duckdb.connect(str(ws.warehouse_path), read_only=True) as connection:
        source = FinanceSource.published(connection, period)
        data = MonthData(source)
        lap()
        statements = [build_statement(data, ws.settings.company, e) for e in sorted(data.payouts)]
        lap()
        for statement in statements:
            render_html(statement)
            render_csv(statement)
        lap()
        result = stage_month_files(ws, source)
        lap()
        add_close_report(ws, period, source.run_id)
        place_month_files(ws, period)
        lap()
    phases = ("query", "assemble", "render", "stage_and_gate", "close_report_and_place")
    figures: dict[str, float | int] = {
        "statements": len(statements),
        "credit_entries": sum(
            len(s.credits) + sum(c.count for c in s.credit_summaries) for s in statements
        ),
        "credit_rows_listed": sum(len(s.credits) for s in statements),
        "credit_summary_rows": sum(len(s.credit_summaries) for s in statements),
        "gate_passed": int(result.passed),
    }
    for number, phase in enumerate(phases):
        figures[f"{phase}_wall_seconds"] = round(wall[number + 1] - wall[number], 2)
        figures[f"{phase}_cpu_seconds"] = round(cpu[number + 1] - cpu[number], 2)
    return figures


if __name__ == "__main__":
    main()
