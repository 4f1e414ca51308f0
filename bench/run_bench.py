"""Benchmark OpenSPM end to end against the floor (bench/floor.sql), per workspace size.

    .venv/bin/python bench/run_bench.py --sizes 10k,100k,1M,5M

For each size, a demo workspace (10,000 employees in a 5-level hierarchy, see --employees;
24 months from 2025-01; the given number of deals) is generated in a temporary
folder, then, each command a subprocess of its own with its peak memory sampled (RSS of the
whole process tree):

  1. ``openspm ingest``                 every landing batch into raw
  2. ``openspm run``                    the full run: pipeline_job, dbt build of every model and
                                        test, drafts for all 24 months (ingestion finds nothing new)
  3. the floor over the same months     bench/floor.sql from the landing files; must equal the
                                        dbt marts row for row (credits, payout lines, payouts)
  4. a nightly batch                    0.1% of the deal count, half edits of existing deals, half
                                        new deals, in one extra CSV batch; then ``openspm run``
  5. ``openspm close --period 2026-10`` with first_period set to 2026-10 (the month is the
                                        first one paid, so nothing earlier must be closed)
  6. the floor for 2026-10              must equal the close's drafts row for row

With ``--engine spark`` (or ``postgres``) the workspace's warehouse is a server this script
starts (a local Spark Connect server in local mode with ``--spark-cores`` and
``--spark-memory``, or a throw-away PostgreSQL cluster: tests/servers.py) and only steps 1-3
run: ingestion, the full run and the floor's credits-and-payouts comparison against the
server's marts (the nightly batch and the close read the DuckDB file directly). Figures go to
``bench/results/<size>-<engine>.json``; the server's own memory is not in the process tree's.

With ``--bookings-only`` every component of the generated plans is set to ``measure: bookings``
(the landing data, invoices and payments included, stays the same), and the figures go to
``bench/results/<size>-bookings-only.json``: the cost of the billing and collection measures
(rule 4.2; the demo pays its customer success managers on collections) is the difference.

Start-up costs come from the Dagster instance (run and step timings) and dbt's
run_results.json (``<workspace>/.openspm/dbt/``): process start-up = command wall - Dagster run;
dbt start-up = dbt step - run_results elapsed. Figures go to bench/results/<size>.json and a
table (each figure with its ratio to the floor) is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))

from common import (
    BIN,
    REPO,
    ProcessResult,
    dagster_home,
    dbt_node_times,
    generate,
    latest_run_timings,
    load_json,
    run_process,
    slowest,
)
from floor import FloorMismatch, compare_with_warehouse
from servers import PostgresServer, SparkConnectServer

from openspm.comp import check_comp_config
from openspm.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"
START = date(2025, 1, 1)
MONTHS = 24
CLOSE_PERIOD = "2026-10"  # the last month Dagster knows is 2026-11 (today's)
DBT_STEP = "openspm_dbt_models"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "5M": 5_000_000}


def parse_size(text: str) -> int:
    if text in SIZES:
        return SIZES[text]
    match = re.fullmatch(r"(\d+)([kKmM]?)", text)
    if not match:
        raise SystemExit(f"size {text!r}: write e.g. 10k, 100k, 1M or 250000")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(match.group(1)) * factor


def label(deals: int) -> str:
    for name, value in SIZES.items():
        if value == deals:
            return name
    return str(deals)


def openspm(ws: Path, home: Path, *args: str) -> tuple[ProcessResult, dict[str, Any]]:
    """An ``openspm`` command on ``ws`` with its Dagster run's timings; exits on failure."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("OPENSPM_WORKSPACE", None)
    result = run_process([str(BIN / "openspm"), *args, "--workspace", str(ws), "--quiet"], env=env)
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:])
        raise SystemExit(f"openspm {' '.join(args)} failed ({result.returncode})")
    timings = latest_run_timings(home)
    figures: dict[str, Any] = {
        "wall": result.wall,
        "peak_tree_mb": result.peak_tree_mb,
        "max_process_mb": result.max_process_mb,
        "dagster_run": timings["run_seconds"],
        "process_startup": result.wall - timings["run_seconds"],
        "steps": timings["steps"],
    }
    dbt_step = timings["steps"].get(DBT_STEP)
    if dbt_step is not None:
        run_results = load_json(ws / ".openspm" / "dbt" / "run_results.json")
        nodes = dbt_node_times(run_results)
        elapsed = float(run_results.get("elapsed_time", 0.0))
        figures |= {
            "dbt_step": dbt_step,
            "dbt_elapsed": elapsed,
            "dbt_startup": dbt_step - elapsed,
            "dbt_models": sum(v for k, v in nodes.items() if k.startswith("model.")),
            "dbt_tests": sum(v for k, v in nodes.items() if not k.startswith("model.")),
            "dagster_other_steps": sum(v for k, v in timings["steps"].items() if k != DBT_STEP),
            "dagster_in_run": timings["run_seconds"] - sum(timings["steps"].values()),
            "slowest_models": slowest(nodes, 8),
            "nodes": nodes,
            "dbt_mode": dbt_build_mode(ws),
        }
    return result, figures


def dbt_build_mode(ws: Path) -> str | None:
    """'incremental' or 'full refresh': how the command's dbt build ran (openspm.incremental)."""
    if not (ws / "warehouse.duckdb").exists():
        return None  # a server warehouse
    with duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True) as con:
        try:
            row = con.execute("select mode from dbt_state.last_build").fetchone()
        except duckdb.Error:
            return None
    return row[0] if row else None


def floor(ws: Path, database: Path, first: str, through: str | None) -> dict[str, Any]:
    """The floor as a subprocess (its own peak memory), then checked against the marts."""
    command = [sys.executable, str(REPO / "bench" / "floor.py"), "--workspace", str(ws),
               "--database", str(database), "--first", first, "--json"]  # fmt: skip
    if through:
        command += ["--through", through]
    result = run_process(command)
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:])
        raise SystemExit("the floor failed")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures |= {"wall": result.wall, "peak_tree_mb": result.peak_tree_mb}
    try:
        started = time.perf_counter()
        figures["identical_rows"] = compare_with_warehouse(database, Workspace.open(ws))
        figures["compare_seconds"] = time.perf_counter() - started
    except FloorMismatch as exc:
        raise SystemExit(f"FLOOR AND DBT DIFFER: {exc}") from None
    print(f"  floor {first}..{through or 'latest'}: {figures['seconds']:.1f} s, identical to "
          f"dbt: {figures['identical_rows']}", flush=True)  # fmt: skip
    return figures


def write_nightly_batch(ws: Path, deals: int) -> dict[str, int]:
    """0.1% of ``deals`` as one new CSV batch: half edits of recent deals, half new deals."""
    count = max(2, deals // 1000)
    modified = "2026-11-02T02:00:00Z"  # after every delivered version
    path = ws / "landing" / "crm" / "deals" / "deals_2026-11-nightly.csv"
    columns = (
        "deal_id, account_id, owner_id, deal_type, stage, is_won, close_date, amount, currency, "
        "contract_start_date, contract_term_months, cancelled_date"
    )
    with duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True) as con:
        con.execute(
            f"""
            copy (
                with recent as (
                    select {columns}, row_number() over (order by deal_id) as n
                    from staging.stg_crm__deals
                    where is_won and close_date >= date '{CLOSE_PERIOD}-01'
                ),
                picked as (select * from recent where n % 2 = 0 order by n limit {count})
                -- the first half edited (amount +10%), the second half copied as new deals
                select case when n % 4 = 0 then deal_id else 'DN' || deal_id end as deal_id,
                    account_id, owner_id, deal_type, stage, is_won, close_date,
                    case when n % 4 = 0 then round(amount * 1.1, 2) else amount end as amount,
                    currency, contract_start_date, contract_term_months, cancelled_date,
                    '{modified}' as modified_at, false as is_deleted
                from picked
            ) to '{path}' (header, delimiter ',')
            """
        )
        (rows,) = con.execute(f"select count(*) from read_csv('{path}')").fetchone()  # type: ignore[misc]
        (new,) = con.execute(
            f"select count(*) from read_csv('{path}') where deal_id like 'DN%'"
        ).fetchone()  # type: ignore[misc]
    return {"rows": int(rows), "new": int(new), "edited": int(rows - new)}


def set_first_period(ws: Path, period: str) -> None:
    """Go live in ``period``: earlier adjustments were the old system's (never paid here)."""
    settings = ws / "openspm.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r"(?m)^first_period: .*$", f"first_period: {period}", text))
    adjustments = ws / "comp" / "adjustments.csv"
    header, *rows = adjustments.read_text(encoding="utf-8").splitlines()
    kept = [row for row in rows if row.split(",")[2] >= period]
    adjustments.write_text("\n".join([header, *kept]) + "\n", encoding="utf-8")


def bookings_only(ws: Path) -> int:
    """Set every component of the workspace's plans to ``measure: bookings``; how many changed."""
    changed = 0
    for path in sorted((ws / "comp" / "plans").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        new, count = re.subn(r"(?m)^(\s+measure:) (billings|collections)$", r"\1 bookings", text)
        if count:
            path.write_text(new, encoding="utf-8")
            changed += count
    return changed


def use_server(ws: Path, warehouse: str) -> None:
    """Point the generated workspace at a server warehouse (``warehouse:`` of openspm.yaml),
    with the accounting off, as the figures of docs/scaling.md were measured (the floor
    compares credits and payouts; the accounting runs on a server too)."""
    settings = ws / "openspm.yaml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace("\nwarehouse: warehouse.duckdb\n", f"\n{warehouse}\n")
    settings.write_text(text.replace("\naccounting:\n", "\naccounting:\n  enabled: false\n"))


def start_server(engine: str, scratch: Path, deals: int, args: argparse.Namespace
                 ) -> tuple[PostgresServer | SparkConnectServer, str]:  # fmt: skip
    """The server of ``engine`` started, and the ``warehouse:`` that points at it."""
    if engine == "spark":
        spark = SparkConnectServer(scratch / f"spark-{label(deals)}", cores=args.spark_cores,
                                   memory=args.spark_memory).start()  # fmt: skip
        return spark, f"warehouse:\n  type: spark\n  host: 127.0.0.1\n  port: {spark.port}"
    folder = Path(tempfile.mkdtemp(prefix="openspm-bench-pg-"))
    postgres = PostgresServer(folder).start()
    os.environ["OPENSPM_BENCH_PG_PASSWORD"] = postgres.password
    return postgres, (
        f"warehouse:\n  type: postgres\n  host: 127.0.0.1\n  port: {postgres.port}\n"
        f"  database: {postgres.database}\n  user: {postgres.user}\n"
        "  password: ${OPENSPM_BENCH_PG_PASSWORD}\n  sslmode: disable"
    )


def bench_server(deals: int, employees: int, scratch: Path, args: argparse.Namespace
                 ) -> dict[str, Any]:  # fmt: skip
    """Ingestion, the full run and the floor comparison on a server warehouse."""
    engine = args.engine
    ws = scratch / f"ws-{label(deals)}"
    home = dagster_home(scratch / f"dagster-{label(deals)}")
    out: dict[str, Any] = {"size": label(deals), "deals": deals, "employees": employees,
                           "months": MONTHS, "first_month": START.isoformat()[:7],
                           "engine": engine}  # fmt: skip
    if engine == "spark":
        out["spark"] = {"master": f"local[{args.spark_cores}]", "driver_memory": args.spark_memory}
    print(f"\n== {label(deals)} on {engine}: {deals:,} deals, {employees:,} employees, "
          f"{MONTHS} months", flush=True)  # fmt: skip
    started = time.perf_counter()
    summary = generate(ws, deals=deals, employees=employees, months=MONTHS, start=START)
    out["generate"] = {"seconds": time.perf_counter() - started, "rows": summary.rows}
    print(f"  generated: {summary}", flush=True)
    started = time.perf_counter()
    server, warehouse = start_server(engine, scratch, deals, args)
    out["server_start"] = time.perf_counter() - started
    print(f"  {engine} server started in {out['server_start']:.1f} s", flush=True)
    try:
        use_server(ws, warehouse)
        _, out["ingest"] = openspm(ws, home, "ingest")
        print(f"  ingest: {out['ingest']['wall']:.1f} s", flush=True)
        _, out["full_run"] = openspm(ws, home, "run")
        print(f"  full run: {out['full_run']['wall']:.1f} s", flush=True)
        out["floor_full"] = floor(ws, scratch / f"floor-{label(deals)}.duckdb",
                                  START.isoformat()[:7], None)  # fmt: skip
    finally:
        server.stop()
    return out


def report_server(out: dict[str, Any]) -> None:
    """How the time of a server run splits."""
    full, f_full = out["full_run"], out["floor_full"]["seconds"]
    rows = [
        ("floor, all 24 months (DuckDB, SQL only)", f_full),
        ("ingest (openspm ingest, wall)", out["ingest"]["wall"]),
        ("full run (openspm run, wall)", full["wall"]),
        ("  dbt elapsed (run_results)", full["dbt_elapsed"]),
        ("  dbt models", full["dbt_models"]),
        ("  dbt tests", full["dbt_tests"]),
        ("  dbt start-up (step - elapsed)", full["dbt_startup"]),
        ("  other steps (ingest, comp, checks)", full["dagster_other_steps"]),
        ("  process start-up (wall - run)", full["process_startup"]),
        ("marts read back and compared", out["floor_full"].get("compare_seconds", 0.0)),
    ]
    print(f"\n{out['size']} on {out['engine']}: {out['deals']:,} deals   {'seconds':>9} "
          f"{'vs floor':>9}")  # fmt: skip
    for name, value in rows:
        print(f"  {name:<42} {value:9.1f} {ratio(value, f_full)}")
    print(f"  identical to the floor: {out['floor_full']['identical_rows']}")
    steps = ", ".join(f"{k} {v:.1f}" for k, v in full["steps"].items())
    print(f"  steps of the full run: {steps}")
    models = ", ".join(f"{name} {sec:.1f}" for name, sec in full["slowest_models"][:8])
    print(f"  slowest models: {models}")


def bench_size(
    deals: int, employees: int, scratch: Path, *, only_bookings: bool = False
) -> dict[str, Any]:
    ws = scratch / f"ws-{label(deals)}"
    home = dagster_home(scratch / f"dagster-{label(deals)}")
    out: dict[str, Any] = {"size": label(deals), "deals": deals, "employees": employees,
                           "months": MONTHS, "first_month": START.isoformat()[:7]}  # fmt: skip
    out["measures"] = "bookings only" if only_bookings else "as generated"
    print(f"\n== {label(deals)}: {deals:,} deals, {employees:,} employees, {MONTHS} months",
          flush=True)  # fmt: skip
    started = time.perf_counter()
    summary = generate(ws, deals=deals, employees=employees, months=MONTHS, start=START)
    out["generate"] = {"seconds": time.perf_counter() - started, "rows": summary.rows,
                       "files": summary.files}  # fmt: skip
    print(f"  generated: {summary}", flush=True)
    if only_bookings:
        print(f"  bookings only: {bookings_only(ws)} component(s) set to bookings", flush=True)
    problems = check_comp_config(ws)
    if problems:
        raise SystemExit(f"generated comp/ is invalid ({len(problems)} problems): {problems[0]}")
    first = START.isoformat()[:7]

    _, out["ingest"] = openspm(ws, home, "ingest")
    print(f"  ingest: {out['ingest']['wall']:.1f} s", flush=True)
    _, out["full_run"] = openspm(ws, home, "run")
    print(f"  full run: {out['full_run']['wall']:.1f} s", flush=True)
    out["floor_full"] = floor(ws, scratch / f"floor-{label(deals)}.duckdb", first, None)

    out["nightly_batch"] = write_nightly_batch(ws, deals)
    _, out["nightly_run"] = openspm(ws, home, "run")
    print(f"  nightly run: {out['nightly_run']['wall']:.1f} s ({out['nightly_batch']})",
          flush=True)  # fmt: skip

    set_first_period(ws, CLOSE_PERIOD)
    _, out["close"] = openspm(ws, home, "close", "--period", CLOSE_PERIOD)
    print(f"  close {CLOSE_PERIOD}: {out['close']['wall']:.1f} s", flush=True)
    out["floor_close"] = floor(
        ws, scratch / f"floor-{label(deals)}.duckdb", CLOSE_PERIOD, CLOSE_PERIOD
    )
    warehouse_mb = (ws / "warehouse.duckdb").stat().st_size / 1e6
    landing_mb = sum(p.stat().st_size for p in (ws / "landing").rglob("*") if p.is_file()) / 1e6
    out["sizes_mb"] = {"warehouse": warehouse_mb, "landing": landing_mb}
    return out


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    with open("/proc/meminfo", encoding="ascii") as handle:
        mem_kb = int(handle.readline().split()[1])
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii").splitlines()
    names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = names[0] if names else platform.processor()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": version("dbt-core"),
        "dbt_duckdb": version("dbt-duckdb"),
        "dagster": version("dagster"),
        "dagster_dbt": version("dagster-dbt"),
        "date": time.strftime("%Y-%m-%d"),
    }


def ratio(value: float, base: float) -> str:
    return f"{value / base:6.1f}x" if base else "     -"


def report(out: dict[str, Any]) -> None:
    """The figures of one size, each with its ratio to the floor of the same work."""
    full, close, night = out["full_run"], out["close"], out["nightly_run"]
    f_full, f_close = out["floor_full"]["seconds"], out["floor_close"]["seconds"]
    rows = [
        ("floor, all 24 months (SQL only)", f_full, f_full),
        ("ingest (openspm ingest, wall)", out["ingest"]["wall"], f_full),
        ("full run (openspm run, wall)", full["wall"], f_full),
        ("  dbt elapsed (run_results)", full["dbt_elapsed"], f_full),
        ("  dbt models / tests", full["dbt_models"], f_full),
        ("  dbt tests", full["dbt_tests"], f_full),
        ("  dbt start-up (step - elapsed)", full["dbt_startup"], f_full),
        ("  other steps (ingest, comp, checks)", full["dagster_other_steps"], f_full),
        ("  Dagster in-run overhead", full["dagster_in_run"], f_full),
        ("  process start-up (wall - run)", full["process_startup"], f_full),
        ("ingest + full run", out["ingest"]["wall"] + full["wall"], f_full),
        ("nightly run, +0.1% deals (wall)", night["wall"], f_full),
        ("  dbt elapsed", night["dbt_elapsed"], f_full),
        ("  dbt start-up", night["dbt_startup"], f_full),
        ("  other steps (ingest, comp, checks)", night["dagster_other_steps"], f_full),
        ("  process start-up", night["process_startup"], f_full),
        (f"floor, {CLOSE_PERIOD} only (SQL only)", f_close, f_close),
        (f"close {CLOSE_PERIOD} (openspm close, wall)", close["wall"], f_close),
        ("  dbt elapsed (run_results)", close["dbt_elapsed"], f_close),
        ("  dbt start-up", close["dbt_startup"], f_close),
        ("  Dagster + process start-up", close["wall"] - close["dbt_elapsed"], f_close),
    ]
    print(f"\n{out['size']}: {out['deals']:,} deals   {'seconds':>9} {'vs floor':>9}")
    for name, value, base in rows:
        shown = name.replace("dbt models / tests", "dbt models")
        print(f"  {shown:<40} {value:9.1f} {ratio(value, base)}")
    print(f"  {'nightly / full run':<40} {night['wall'] / full['wall']:9.0%}")
    print(f"  {'nightly / (ingest + full run)':<40} "
          f"{night['wall'] / (out['ingest']['wall'] + full['wall']):9.0%}")  # fmt: skip
    print("  peak memory, MB (process tree RSS): "
          f"ingest {out['ingest']['peak_tree_mb']:,.0f}, full run "
          f"{full['peak_tree_mb']:,.0f}, nightly {night['peak_tree_mb']:,.0f}, close "
          f"{close['peak_tree_mb']:,.0f}, floor {out['floor_close']['peak_tree_mb']:,.0f} "
          f"(all months {out['floor_full']['peak_tree_mb']:,.0f})")  # fmt: skip
    modes = ", ".join(f"{t} {f.get('dbt_mode')}" for t, f in (("full run", full),
                      ("nightly", night), ("close", close)))  # fmt: skip
    print(f"  dbt builds: {modes}")
    for title, figures in (("full run", full), ("nightly", night), ("close", close)):
        models = ", ".join(f"{name} {sec:.1f}" for name, sec in figures["slowest_models"][:6])
        print(f"  slowest models, {title}: {models}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="deal counts, e.g. 10k,100k,1M,5M")
    parser.add_argument(
        "--employees",
        type=int,
        default=None,
        help="default: 10,000 (the figures of docs/performance.md before its update used "
        "deals / 100 below 1M deals)",
    )
    parser.add_argument("--scratch", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated workspaces")
    parser.add_argument(
        "--bookings-only",
        action="store_true",
        help="every component on bookings (the cost of the measures is the difference)",
    )
    parser.add_argument("--engine", choices=("duckdb", "postgres", "spark"), default="duckdb",
                        help="the warehouse (a server is started for the run; default duckdb)")
    parser.add_argument("--spark-cores", type=int, default=2, help="Spark's local[N]")
    parser.add_argument("--spark-memory", default="6g", help="Spark's driver memory")
    args = parser.parse_args(argv)
    if args.engine != "duckdb" and args.bookings_only:
        parser.error("--bookings-only runs on DuckDB only")
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="openspm-bench-"))
    RESULTS.mkdir(exist_ok=True)
    about = machine()
    print(f"machine: {about}; scratch {scratch}")
    try:
        for text in args.sizes.split(","):
            deals = parse_size(text.strip())
            employees = args.employees or 10_000
            if args.engine == "duckdb":
                out = bench_size(deals, employees, scratch, only_bookings=args.bookings_only)
            else:
                out = bench_server(deals, employees, scratch, args)
            out["machine"] = about
            suffix = "-bookings-only" if args.bookings_only else ""
            suffix += f"-{args.engine}" if args.engine != "duckdb" else ""
            path = RESULTS / f"{out['size']}{suffix}.json"
            path.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")
            (report if args.engine == "duckdb" else report_server)(out)
            if not args.keep:
                shutil.rmtree(scratch / f"ws-{out['size']}", ignore_errors=True)
                for leftover in scratch.glob(f"floor-{out['size']}.duckdb*"):
                    leftover.unlink()
    finally:
        if not args.keep and args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
