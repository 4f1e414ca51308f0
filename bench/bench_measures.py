"""The cost of the billing and collection measures (rule 4.2): the full run with and without them.

    .venv/bin/python bench/bench_measures.py --size 1M [--rounds 2]

Generates one demo workspace (10,000 employees, 24 months, the given number of deals, their
invoices and payments; the demo pays its customer success managers on collections) and a copy
whose plans have every component on ``measure: bookings`` (the same landing data). Then, per
round and in alternating order (so that a machine getting busier or quieter does not favour
one side), for each copy: a fresh warehouse, ``openspm ingest`` and ``openspm run`` (the full
run: a full-refresh dbt build of every model and test, the checks, drafts for all 24 months).
Prints and writes to bench/results/measures-<size>.json the full run's wall time, dbt elapsed
and model time of each side, the growth (as generated / bookings only - 1), and the slowest
models of both.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
from common import dagster_home, generate
from run_bench import MONTHS, RESULTS, START, bookings_only, label, machine, openspm, parse_size

SIDES = ("bookings_only", "as_generated")


def fresh(ws: Path) -> None:
    """Forget every build: the next ingest and run start from an empty warehouse."""
    for path in (ws / "warehouse.duckdb", ws / "warehouse.duckdb.wal", ws / ".openspm"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def credit_counts(ws: Path) -> dict[str, int]:
    with duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select event_type, count(*) from intermediate.int_component_credits group by 1"
        ).fetchall()
    return {str(k): int(v) for k, v in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scratch", type=Path, default=None)
    args = parser.parse_args(argv)
    deals = parse_size(args.size)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="openspm-measures-"))
    spaces = {side: scratch / side for side in SIDES}
    summary = generate(spaces["as_generated"], deals=deals, employees=args.employees,
                       months=MONTHS, start=START)  # fmt: skip
    print(f"generated: {summary}", flush=True)
    shutil.copytree(spaces["as_generated"], spaces["bookings_only"])
    print(f"bookings only: {bookings_only(spaces['bookings_only'])} component(s) set to bookings")
    home = dagster_home(scratch / "dagster")
    out: dict[str, Any] = {"size": label(deals), "deals": deals, "employees": args.employees,
                           "machine": machine(), "runs": {s: [] for s in SIDES}}  # fmt: skip
    try:
        for round_ in range(args.rounds):
            order = SIDES if round_ % 2 == 0 else SIDES[::-1]
            for side in order:
                ws = spaces[side]
                fresh(ws)
                load = Path("/proc/loadavg").read_text().split()[0]
                _, ingest = openspm(ws, home, "ingest")
                _, run = openspm(ws, home, "run")
                figures = {
                    "load_before": float(load),
                    "ingest_wall": ingest["wall"],
                    "full_run_wall": run["wall"],
                    "dbt_elapsed": run["dbt_elapsed"],
                    "dbt_models": run["dbt_models"],
                    "dbt_tests": run["dbt_tests"],
                    "peak_tree_mb": run["peak_tree_mb"],
                    "steps": run["steps"],
                    "slowest_models": run["slowest_models"],
                    "nodes": run["nodes"],
                    "credits": credit_counts(ws),
                }
                out["runs"][side].append(figures)
                print(f"  round {round_ + 1} {side:<13} full run {run['wall']:6.1f} s, dbt "
                      f"{run['dbt_elapsed']:6.1f} s (models {run['dbt_models']:5.1f}), load "
                      f"{load}, credits {figures['credits']}", flush=True)  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    medians = {
        side: {k: statistics.median(r[k] for r in out["runs"][side])
               for k in ("full_run_wall", "dbt_elapsed", "dbt_models")}
        for side in SIDES
    }  # fmt: skip
    out["medians"] = medians
    out["growth"] = {
        k: medians["as_generated"][k] / medians["bookings_only"][k] - 1
        for k in medians["as_generated"]
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"measures-{out['size']}.json"
    path.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nmedians: {medians}")
    print("growth with the measures: " + ", ".join(f"{k} {v:+.1%}" for k, v in
                                                  out["growth"].items()))  # fmt: skip
    print(f"written: {path} ({time.strftime('%H:%M')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
