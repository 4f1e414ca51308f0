"""Benchmark plan modelling against a full run, and the deal estimator (docs/performance.md).

    .venv/bin/python bench/bench_modelling.py --deals 1M          # modelling vs a full run
    .venv/bin/python bench/bench_modelling.py --estimate          # the estimator on the demo

Modelling: a demo workspace as bench/run_bench.py makes it (10,000 employees, 24 months from
2025-01, the given number of deals), then, each a subprocess with its peak memory sampled:
``openspm ingest``, ``openspm run`` (the full run: the reference) and ``openspm model`` of one
candidate (every plan's top tier rate raised by a tenth) over the 12 months 2026-01..2026-12;
modelling runs the engine twice (the current plans and the candidate) on a scratch copy.

Estimator: the default demo (``openspm demo``: 150 employees, 30,000 deals), then the library
call ``estimate_deal`` in this process, cold once and warm 20 times (a deal split 60/40 that
rolls up three levels), and the CLI ``openspm estimate`` as a subprocess (start-up included).

Figures go to bench/results/modelling_<size>.json and bench/results/estimate_demo.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, dagster_home, generate, run_process
from run_bench import MONTHS, START, label, machine, openspm, parse_size

RESULTS = Path(__file__).resolve().parent / "results"
FROM, TO = "2026-01", "2026-12"
TOP_TIER = re.compile(r"(- \{from: [0-9.]+, rate: )([0-9.]+)(\})\n(?!\s*- \{from)")


def raise_top_tiers(plans: Path, target: Path) -> int:
    """Copy the plan files with every tiered component's top rate raised by a tenth."""
    target.mkdir(parents=True, exist_ok=True)
    changed = 0
    for path in sorted(plans.glob("*.yaml")):
        text, count = TOP_TIER.subn(
            lambda m: f"{m.group(1)}{float(m.group(2)) * 1.1:.4f}{m.group(3)}\n",
            path.read_text(encoding="utf-8"),
        )
        changed += count
        (target / path.name).write_text(text, encoding="utf-8")
    return changed


def bench_modelling(deals: int, employees: int, scratch: Path) -> dict[str, Any]:
    ws = scratch / f"ws-{label(deals)}"
    home = dagster_home(scratch / f"dagster-{label(deals)}")
    out: dict[str, Any] = {
        "size": label(deals),
        "deals": deals,
        "employees": employees,
        "months": MONTHS,
        "range": f"{FROM}..{TO}",
        "machine": machine(),
    }
    started = time.perf_counter()
    generate(ws, deals=deals, employees=employees, months=MONTHS, start=START)
    out["generate"] = time.perf_counter() - started
    print(f"generated {deals:,} deals in {out['generate']:.1f} s", flush=True)
    _, out["ingest"] = openspm(ws, home, "ingest")
    print(f"ingest: {out['ingest']['wall']:.1f} s", flush=True)
    _, out["full_run"] = openspm(ws, home, "run")
    print(f"full run: {out['full_run']['wall']:.1f} s", flush=True)
    candidates = scratch / "candidates"
    out["top_tiers_raised"] = raise_top_tiers(ws / "comp" / "plans", candidates / "top-tier")
    result, out["model"] = openspm(
        ws, home, "model", "--plans", str(candidates), "--from", FROM, "--to", TO
    )
    out["model"]["summary"] = result.stdout.strip().splitlines()[-4:]
    out["model_over_full_run"] = out["model"]["wall"] / out["full_run"]["wall"]
    print(
        f"model (current + 1 candidate, {FROM}..{TO}): {out['model']['wall']:.1f} s = "
        f"{out['model_over_full_run']:.2f}x the full run",
        flush=True,
    )
    out["warehouse_mb"] = (ws / "warehouse.duckdb").stat().st_size / 1e6
    return out


def bench_estimate(scratch: Path) -> dict[str, Any]:
    from openspm.estimate import estimate_deal, make_deal
    from openspm.workspace import Workspace

    ws_dir = scratch / "demo"
    home = dagster_home(scratch / "dagster-demo")
    env = {**os.environ, "DAGSTER_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = run_process([str(BIN / "openspm"), "demo", "-w", str(ws_dir), "--quiet"], env=env)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    ws = Workspace.open(ws_dir)
    deal = make_deal("E0020", "250000", "2026-10-15", "new_business", splits=["E0021=40"])
    started = time.perf_counter()
    estimate_deal(ws, deal)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(20):
        started = time.perf_counter()
        estimate_deal(ws, deal)
        warm.append(time.perf_counter() - started)
    cli = run_process(
        [str(BIN / "openspm"), "estimate", "-w", str(ws_dir), "--employee", "E0020",
         "--amount", "250000", "--date", "2026-10-15", "--deal-type", "new_business",
         "--split", "E0021=40"],
        env=env,
    )  # fmt: skip
    if cli.returncode != 0:
        raise SystemExit(cli.stderr[-2000:])
    out = {
        "workspace": "openspm demo (150 employees, 30,000 deals, 22 months)",
        "machine": machine(),
        "library_cold_s": cold,
        "library_warm_median_s": statistics.median(warm),
        "library_warm_max_s": max(warm),
        "cli_wall_s": cli.wall,
        "cli_peak_tree_mb": cli.peak_tree_mb,
    }
    print(json.dumps(out, indent=1), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", default="1M", help="10k, 100k, 1M, 5M or a number")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--estimate", action="store_true", help="bench the estimator instead")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="openspm-bench-modelling-"))
    try:
        RESULTS.mkdir(exist_ok=True)
        if args.estimate:
            out = bench_estimate(scratch)
            path = RESULTS / "estimate_demo.json"
        else:
            deals = parse_size(args.deals)
            out = bench_modelling(deals, args.employees, scratch)
            path = RESULTS / f"modelling_{label(deals)}.json"
        out["load_average_before"] = os.getloadavg()
        path.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"written {path}")
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
