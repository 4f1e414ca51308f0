"""Close every month of the demo workspace in order, as a company would, and report each close.

    .venv/bin/python bench/close_demo_months.py [--workspace DIR] [--keep] [--engine postgres]

Generates the demo (the default size: about 150 people, 30,000 deals, 2025-01 to 2026-10; its
customer success managers are paid on collections), then runs ``openspm close --period`` for
every month from first_period to the last one, each a subprocess with its own Dagster
instance. Prints the wall time and outcome of each close, and what was published (payouts,
credits per event type). Exits non-zero at the first month that does not close. Too slow for
every CI run (about 20 closes of 15-30 s); run it after changes to the rules or the demo.
With ``--engine postgres`` (or ``spark``) the warehouse is a throw-away server started for the
run (tests/servers.py); docs/performance.md compares DuckDB and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))

from common import BIN, dagster_home, run_process
from servers import PostgresServer, SparkConnectServer

from openspm.demo import generate_workspace
from openspm.periods import first_period, period_range
from openspm.warehouse import connect
from openspm.workspace import Workspace


def start_server(engine: str, scratch: Path) -> tuple[PostgresServer | SparkConnectServer, str]:
    """A throw-away server of ``engine`` and the ``warehouse:`` of openspm.yaml for it."""
    if engine == "spark":
        spark = SparkConnectServer(scratch / "spark", memory="4g").start()
        return spark, f"warehouse:\n  type: spark\n  host: 127.0.0.1\n  port: {spark.port}"
    postgres = PostgresServer(Path(tempfile.mkdtemp(prefix="openspm-close-demo-pg-"))).start()
    os.environ["OPENSPM_BENCH_PG_PASSWORD"] = postgres.password
    return postgres, (
        f"warehouse:\n  type: postgres\n  host: 127.0.0.1\n  port: {postgres.port}\n"
        f"  database: {postgres.database}\n  user: {postgres.user}\n"
        "  password: ${OPENSPM_BENCH_PG_PASSWORD}\n  sslmode: disable"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=None, help="default: a temporary one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    parser.add_argument("--engine", choices=("duckdb", "postgres", "spark"), default="duckdb")
    parser.add_argument("--months", type=int, default=None, help="close only the first N months")
    parser.add_argument("--no-accounting", action="store_true",
                        help="accounting.enabled: false (always so on a server warehouse)")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="openspm-close-demo-"))
    root = args.workspace or scratch / "ws"
    summary = generate_workspace(root, seed=args.seed, overwrite=True)
    print(f"demo: {summary}", flush=True)
    server = None
    if args.no_accounting or args.engine != "duckdb":  # not portable yet (docs/scaling.md)
        settings = root / "openspm.yaml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("\naccounting:\n", "\naccounting:\n  enabled: false\n"))
    if args.engine != "duckdb":
        server, warehouse = start_server(args.engine, scratch)
        settings = root / "openspm.yaml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("\nwarehouse: warehouse.duckdb\n", f"\n{warehouse}\n"))
        print(f"warehouse: {args.engine} server", flush=True)
    ws = Workspace.open(root)
    months = period_range(first_period(ws), summary.last_month)[: args.months]
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home(scratch / "dagster")),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("OPENSPM_WORKSPACE", None)
    failed = None
    started = time.perf_counter()
    for period in months:
        command = [str(BIN / "openspm"), "close", "--period", period, "--workspace", str(root),
                   "--quiet"]  # fmt: skip
        result = run_process(command, env=env)
        line = (result.stdout.strip() or result.stderr.strip()).splitlines()[-1:]
        print(f"  {period}: {'closed' if result.returncode == 0 else 'NOT CLOSED'} in "
              f"{result.wall:5.1f} s  {line[0] if line else ''}", flush=True)  # fmt: skip
        if result.returncode != 0:
            failed = period
            print(result.stdout[-3000:], result.stderr[-3000:])
            break
    total = time.perf_counter() - started
    with connect(ws, read_only=True) as con:
        closes = con.execute("select count(*) from finance.closes").fetchone()
        events = con.execute(
            "select event_type, count(*), sum(amount) from finance.credits "
            "group by 1 order by 1"
        ).fetchall()
        paid = con.execute("select count(*), sum(net_payout) from finance.payouts").fetchone()
    if server is not None:
        server.stop()
    print(f"published months: {closes[0]} of {len(months)} in {total:.0f} s on {args.engine}"
          f"; payouts {paid[0]:,} rows, net {paid[1]:,.2f}")  # fmt: skip
    for event_type, count, amount in events:
        print(f"  finance.credits {event_type}: {count:,} rows, {amount:,.2f}")
    if not args.keep and args.workspace is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
