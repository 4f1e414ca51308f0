"""What the month's files (statements, payroll) add to a close, at 10,000 employees.

    .venv/bin/python bench/bench_statements.py [--employees 10000] [--deals 100000]

A demo workspace (10,000 employees in a 5-level hierarchy, 24 months from 2025-01) is generated
in a temporary folder with first_period 2026-10, and 2026-10 is closed with ``openspm close``
(a subprocess, Dagster instance of its own). Its first close's ledger holds every credit dated
up to the month's end, so its statements list every credit: the heaviest month there is.
Reported: the close's wall time, the Dagster steps ``staged_month_files`` (gather, render,
write, read back by the totals gate) and ``month_files`` (close report, rename), then a rebuild
of the month's files from finance in this process, phase by phase. Figures go to
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

from openspm.statements import FinanceSource, MonthData, build_statement, render_csv, render_html
from openspm.statements.month_files import (
    add_close_report,
    month_dir,
    place_month_files,
    stage_month_files,
)
from openspm.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"
PERIOD = "2026-10"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the workspace")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="openspm-bench-statements-"))
    root = folder / "ws"
    try:
        figures = run(root, folder, args.employees, args.deals)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"statements-{args.employees}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"written to {out}")


def run(root: Path, folder: Path, employees: int, deals: int) -> dict:
    started = time.perf_counter()
    generate(root, deals=deals, employees=employees, months=24, start=date(2025, 1, 1))
    settings = root / "openspm.yaml"
    text = "".join(
        line for line in settings.read_text().splitlines(keepends=True)
        if not line.startswith("first_period:")
    )
    settings.write_text(text + f"first_period: {PERIOD}\n")
    generated = time.perf_counter() - started
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home(folder / "dagster")))
    env.pop("OPENSPM_WORKSPACE", None)
    close = run_process(
        [str(BIN / "openspm"), "close", "--period", PERIOD, "--workspace", str(root), "--quiet"],
        env=env,
    )
    if close.returncode != 0:
        raise SystemExit(f"close failed: {close.stderr.strip() or close.stdout.strip()}")
    steps = latest_run_timings(folder / "dagster")["steps"]
    ws = Workspace.open(root)
    statements = len(list((month_dir(ws, PERIOD) / "statements").glob("*.html")))
    rebuild = rebuild_phases(ws)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "employees": employees,
        "deals": deals,
        "period": PERIOD,
        "statements": statements,
        "generate_seconds": round(generated, 1),
        "close_wall_seconds": round(close.wall, 1),
        "close_peak_tree_mb": round(close.peak_tree_mb),
        "step_staged_month_files_seconds": round(steps.get("staged_month_files", 0), 2),
        "step_month_files_seconds": round(steps.get("month_files", 0), 2),
        "added_to_close_seconds": round(
            steps.get("staged_month_files", 0) + steps.get("month_files", 0), 2
        ),
        "rebuild_from_finance": rebuild,
    }


def rebuild_phases(ws: Workspace) -> dict:
    """The month's files rebuilt from finance in this process, timed phase by phase."""
    shutil.rmtree(month_dir(ws, PERIOD))
    figures: dict[str, float | int] = {}
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as connection:
        source = FinanceSource.published(connection, PERIOD)
        t0 = time.perf_counter()
        data = MonthData(source)
        t1 = time.perf_counter()
        statements = [build_statement(data, ws.settings.company, e) for e in sorted(data.payouts)]
        t2 = time.perf_counter()
        for statement in statements:
            render_html(statement)
            render_csv(statement)
        t3 = time.perf_counter()
        result = stage_month_files(ws, source)
        t4 = time.perf_counter()
        add_close_report(ws, PERIOD, source.run_id)
        place_month_files(ws, PERIOD)
        t5 = time.perf_counter()
    figures["credit_entries"] = sum(len(s.credits) for s in statements)
    figures["query_seconds"] = round(t1 - t0, 2)
    figures["assemble_seconds"] = round(t2 - t1, 2)
    figures["render_seconds"] = round(t3 - t2, 2)
    figures["stage_and_gate_seconds"] = round(t4 - t3, 2)
    figures["close_report_and_place_seconds"] = round(t5 - t4, 2)
    figures["gate_passed"] = int(result.passed)
    return figures


if __name__ == "__main__":
    main()
