"""Close every month of the demo, one `openspm close` after the other, and check the books.

    .venv/bin/python bench/close_demo.py [--employees 150 --deals 30000 --months 22]

Generates the demo workspace (the `openspm demo` defaults: 2025-01 through 2026-10) in a
temporary folder and closes its months in order through the CLI, each a subprocess. Every
close runs the accounting gates (journals balance, roll-forwards tie, costs reconcile, the
accrued balance); after each one this script checks the published month again from
finance.*, and prints per month: seconds, payouts, journal lines, assets, the deferred balance
and the amortization per currency. It exits non-zero on the first failure. About 20 s a month
on two quiet cores (docs/performance.md, "Commission accounting").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, dagster_home, generate, run_process

from openspm.periods import period_range, shift
from openspm.quality.accounting_checks import ACCOUNTING_CHECKS

START = date(2025, 1, 1)


def close(ws: Path, home: Path, period: str) -> float:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("OPENSPM_WORKSPACE", None)
    result = run_process(
        [str(BIN / "openspm"), "close", "--period", period, "--workspace", str(ws), "--quiet"],
        env=env,
    )
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:])
        raise SystemExit(f"openspm close --period {period} failed ({result.returncode})")
    return result.wall


def books(warehouse: Path, period: str) -> str:
    """The published month checked again, and its figures as one line."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for check in ACCOUNTING_CHECKS:
            outcome = check(connection, period, "finance")
            if not outcome.passed:
                raise SystemExit(f"{period}: {outcome.first_line()}")
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
    return f"{payouts} payouts, {lines} journal lines; {money}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=150)
    parser.add_argument("--deals", type=int, default=30_000)
    parser.add_argument("--months", type=int, default=22)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openspm-close-demo-") as temp:
        base = args.keep or Path(temp)
        ws = base / "demo"
        generate(ws, deals=args.deals, employees=args.employees, months=args.months, start=START)
        home = dagster_home(base / "dagster")
        first = f"{START:%Y-%m}"
        months = period_range(first, shift(first, args.months - 1))
        started = time.perf_counter()
        for period in months:
            seconds = close(ws, home, period)
            print(f"{period}  {seconds:5.1f} s  {books(ws / 'warehouse.duckdb', period)}",
                  flush=True)  # fmt: skip
        total = time.perf_counter() - started
        print(
            f"{len(months)} months closed in {total:.0f} s ({total / len(months):.1f} s a "
            "month); every month's journals balance and its roll-forward ties"
        )


if __name__ == "__main__":
    main()
