"""Benchmark: generate a demo workspace, ingest every landing entity, build the staging models.

    .venv/bin/python bench/bench_ingest_demo.py --deals 1000000 --employees 10000 --months 24

Prints the wall time of each stage. Unlike bench_ingest.py (synthetic crm/deals only), this
ingests what the demo generator delivers for all nine entities: CSV and Parquet batches with
re-delivered versions and deletes.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import dbt_command, timed

from openspm.demo import DemoSize, generate_workspace
from openspm.ingest import ingest_all
from openspm.workspace import Workspace


def build_staging(workspace: Workspace, scratch: Path) -> None:
    dbt_command(scratch, workspace.warehouse_path, "build", "--select", "path:models/staging",
                "--indirect-selection", "cautious")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="openspm-bench-"))
    root = scratch / "ws"
    size = DemoSize(employees=args.employees, deals=args.deals, months=args.months)
    print(f"workspace {root}: {args.deals:,} deals, {args.employees:,} employees, "
          f"{args.months} months")  # fmt: skip
    summary, _ = timed("generate (demo generator)", lambda: generate_workspace(root, size=size))
    workspace = Workspace.open(root)
    reports, ingest_s = timed("ingest, first run (all entities)", lambda: ingest_all(workspace))
    rows = sum(r.rows_loaded for r in reports)
    deals = next(r.rows_loaded for r in reports if r.entity == "crm/deals")
    print(f"  {rows:,} landing rows ({deals:,} deal rows, {summary.records['crm/deals']:,} "
          f"deals): {rows / ingest_s:,.0f} rows/s")  # fmt: skip
    timed("ingest, second run (all skipped)", lambda: ingest_all(workspace))
    timed("dbt build of staging (with tests)", lambda: build_staging(workspace, scratch))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:,.0f} MB; warehouse "
          f"{workspace.warehouse_path.stat().st_size / 1e6:,.0f} MB")  # fmt: skip
    if not args.keep:
        shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
