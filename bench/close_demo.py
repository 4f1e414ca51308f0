"""Close every month of the demo in order, as a company would, and check the books after each.

    .venv/bin/python bench/close_demo.py [--workspace DIR] [--seed 7] [--keep]
        [--engine postgres|spark] [--months N] [--no-accounting] [--reference DIR]

Generates the demo workspace (what `openspm demo` writes: about 150 people, 30,000 deals,
2025-01 to 2026-10; its customer success managers are paid on collections), then runs
`openspm close --period` for every month from first_period to the last one, each a subprocess
with its own Dagster instance. After each close it checks the published month again from
finance.* (the accounting gates: journals balance, roll-forwards tie, costs reconcile, the
accrued balance) and prints the seconds, payouts, journal lines, and assets, deferred balance
and amortization per currency; at the end, what was published (payouts, credits per event
type). Exits non-zero at the first month that does not close or whose books do not hold. Too
slow for every CI run (22 closes of 15-35 s); run it after changes to the rules, the accounting
or the demo (docs/performance.md).

``--engine postgres`` (or ``spark``) runs the closes on a throw-away server started for the
run (tests/servers.py), the accounting included as on DuckDB. ``--no-accounting`` turns the
accounting off (the books are then the payouts only); ``--months N`` closes the first N months
only. ``--reference DIR`` compares what was published, table by table and row for row, with a
workspace closed before by this script (``--keep --workspace DIR``, same seed and settings), for
instance the DuckDB close of the demo against the PostgreSQL one (bench/finance_compare.py).
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
from finance_compare import differences, finance_snapshot
from servers import PostgresServer, SparkConnectServer

from openspm.demo import generate_workspace
from openspm.periods import first_period, period_range
from openspm.quality.accounting_checks import ACCOUNTING_CHECKS
from openspm.warehouse import Warehouse, connect
from openspm.workspace import Workspace


def close(root: Path, env: dict[str, str], period: str) -> tuple[float, str | None]:
    """Close ``period``; its wall seconds and, when it was not published, why."""
    command = [str(BIN / "openspm"), "close", "--period", period, "--workspace", str(root),
               "--quiet"]  # fmt: skip
    result = run_process(command, env=env)
    if result.returncode == 0:
        return result.wall, None
    print(result.stdout[-3000:], result.stderr[-3000:])
    lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return result.wall, lines[-1] if lines else f"exit code {result.returncode}"


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


def books(ws: Workspace, period: str) -> tuple[str, str | None]:
    """The published month checked again from finance.*: its figures, and the first failure."""
    with connect(ws, read_only=True) as connection:
        if not ws.settings.accounting.enabled:
            return _payouts(connection, period), None
        for check in ACCOUNTING_CHECKS:
            outcome = check(connection, period, "finance")
            if not outcome.passed:
                return "", outcome.first_line()
        (payouts,) = connection.execute(
            "select count(*) from finance.payouts where period = ?", [period]
        ).fetchone()  # type: ignore[misc]
        (lines,) = connection.execute(
            "select count(*) from finance.journal_entries where period = ?", [period]
        ).fetchone()  # type: ignore[misc]
        per_currency = connection.execute(
            "select currency, count(*), sum(closing), sum(amortization) "
            "from finance.deferred_commissions where period = ? group by 1 order by 1",
            [period],
        ).fetchall()
    money = "; ".join(
        f"{c} {n} assets, deferred {closing:,.2f}, amortized {amortized:,.2f}"
        for c, n, closing, amortized in per_currency
    )
    return f"{payouts} payouts, {lines} journal lines; {money}", None


def _payouts(connection: Warehouse, period: str) -> str:
    (payouts,) = connection.execute(
        "select count(*) from finance.payouts where period = ?", [period]
    ).fetchone()  # type: ignore[misc]
    return f"{payouts} payouts (accounting off)"


def published(ws: Workspace) -> list[str]:
    """What the closes published, in total."""
    with connect(ws, read_only=True) as con:
        (closes,) = con.execute("select count(*) from finance.closes").fetchone()  # type: ignore[misc]
        paid = con.execute("select count(*), sum(net_payout) from finance.payouts").fetchone()
        events = con.execute(
            "select event_type, count(*), sum(amount) from finance.credits group by 1 order by 1"
        ).fetchall()
    assert paid is not None
    lines = [f"published months: {closes}; payouts {paid[0]:,} rows, net {paid[1] or 0:,.2f}"]
    lines += [f"  finance.credits {t}: {n:,} rows, {amount:,.2f}" for t, n, amount in events]
    return lines


def compare(ws: Workspace, reference: Workspace, engine: str) -> str | None:
    """Print how this close's finance.* compares with the reference's; the first difference."""
    mine, theirs = finance_snapshot(ws), finance_snapshot(reference)
    found = differences(theirs, mine, (f"reference {reference.root.name}", engine))
    for line in found:
        print(f"  DIFFERS {line[:2000]}")
    rows = sum(len(r) for r in mine.values())
    if not found:
        print(f"identical to the reference {reference.root}: {len(mine)} finance tables, "
              f"{rows:,} rows (run_id and published_at aside)")  # fmt: skip
    return found[0] if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=None, help="default: a temporary one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    parser.add_argument("--engine", choices=("duckdb", "postgres", "spark"), default="duckdb")
    parser.add_argument("--months", type=int, default=None, help="close the first N months")
    parser.add_argument("--no-accounting", action="store_true",
                        help="accounting.enabled: false (the payouts only)")
    parser.add_argument("--reference", type=Path, default=None,
                        help="a workspace closed before by this script: compare finance.*")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="openspm-close-demo-"))
    root = args.workspace or scratch / "ws"
    summary = generate_workspace(root, seed=args.seed, overwrite=True)
    print(f"demo: {summary}", flush=True)
    settings = root / "openspm.yaml"
    text = settings.read_text(encoding="utf-8")
    if args.no_accounting:
        text = text.replace("\naccounting:\n", "\naccounting:\n  enabled: false\n")
    server = None
    if args.engine != "duckdb":
        server, warehouse = start_server(args.engine, scratch)
        text = text.replace("\nwarehouse: warehouse.duckdb\n", f"\n{warehouse}\n")
    settings.write_text(text, encoding="utf-8")
    ws = Workspace.open(root)
    months = period_range(first_period(ws), summary.last_month)[: args.months]
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home(scratch / "dagster")),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("OPENSPM_WORKSPACE", None)
    failed = None
    started = time.perf_counter()
    for period in months:
        seconds, why = close(root, env, period)
        figures = ""
        if why is None:
            figures, why = books(ws, period)
        print(f"  {period}: {'closed' if why is None else 'NOT CLOSED'} in {seconds:5.1f} s  "
              f"{figures if why is None else why}", flush=True)  # fmt: skip
        if why is not None:
            failed = period
            break
    total = time.perf_counter() - started
    for line in published(ws):
        print(line)
    differs = None
    if failed is None and args.reference is not None:
        differs = compare(ws, Workspace.open(args.reference), args.engine)
    if server is not None:
        server.stop()
    if failed is None:
        books_held = (
            "every month's journals balance and its roll-forward ties"
            if ws.settings.accounting.enabled
            else "accounting off"
        )
        print(f"{len(months)} months closed in {total:.0f} s ({total / len(months):.1f} s a "
              f"month) on {args.engine}; {books_held}")
    if not args.keep and args.workspace is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed or differs else 0


if __name__ == "__main__":
    sys.exit(main())
