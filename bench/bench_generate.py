"""Benchmark the demo generator: generate a workspace and print wall time and rows per second.

.venv/bin/python bench/bench_generate.py --deals 1000000 --employees 10000 --months 24
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from openspm.demo import DemoSize, generate_workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=None, help="workspace folder (default: a temporary one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    args = parser.parse_args(argv)

    temporary = args.out is None
    root = Path(tempfile.mkdtemp(prefix="openspm-bench-")) / "ws" if temporary else args.out
    size = DemoSize(employees=args.employees, deals=args.deals, months=args.months)
    started = time.perf_counter()
    summary = generate_workspace(root, size=size, seed=args.seed, overwrite=True)
    wall = time.perf_counter() - started
    landing_rows = sum(v for k, v in summary.rows.items() if not k.startswith("comp/"))
    size_mb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"workspace: {root}")
    print(f"summary:   {summary}")
    for name, rows in summary.rows.items():
        print(f"  {name:<24} {rows:>12,} rows")
    print(
        f"wall: {wall:.1f} s; {args.deals / wall:,.0f} deals/s; "
        f"{landing_rows / wall:,.0f} landing rows/s; {size_mb:,.0f} MB written; "
        f"peak RSS {peak_mb:,.0f} MB"
    )
    if temporary and not args.keep:
        shutil.rmtree(root.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
