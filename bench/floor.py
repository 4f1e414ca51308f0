"""The floor: bench/floor.sql run by DuckDB straight from a workspace's landing files.

    .venv/bin/python bench/floor.py --workspace /tmp/ws [--first 2026-10] [--through 2026-10]

``run_floor`` writes ``floor_out.credits``, ``floor_out.payout_lines`` and
``floor_out.payouts`` into a DuckDB file of its own (no Dagster, no dbt, no warehouse);
``compare_with_warehouse`` checks them row for row against the dbt marts
(``marts.fct_credits``, ``fct_payout_lines``, ``fct_payouts``) and raises
``FloorMismatch`` naming the table and a few differing rows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openspm.comp import load_comp_config, write_comp_tables
from openspm.periods import first_period, parse_period
from openspm.warehouse import connect, duckdb_file
from openspm.workspace import Workspace

FLOOR_SQL = Path(__file__).with_name("floor.sql")

# What the floor reads of each landing entity, typed as staging types it (docs/contract.md s. 2)
ENTITIES: dict[str, dict[str, str]] = {
    "crm/deals": {
        "deal_id": "varchar", "owner_id": "varchar", "deal_type": "varchar",
        "is_won": "boolean", "close_date": "date", "amount": "decimal(20, 6)",
        "currency": "varchar", "cancelled_date": "date", "modified_at": "timestamptz",
        "is_deleted": "boolean",
    },
    "crm/deal_splits": {
        "split_id": "varchar", "deal_id": "varchar", "owner_id": "varchar",
        "split_type": "varchar", "split_percent": "decimal(9, 6)",
        "modified_at": "timestamptz", "is_deleted": "boolean",
    },
    "crm/users": {
        "user_id": "varchar", "employee_id": "varchar", "modified_at": "timestamptz",
        "is_deleted": "boolean",
    },
    "hris/employees": {"employee_id": "varchar"},
    "hris/job_history": {
        "employee_id": "varchar", "effective_date": "date", "manager_id": "varchar",
        "modified_at": "timestamptz",
    },
    "erp/invoices": {
        "invoice_id": "varchar", "deal_id": "varchar", "invoice_date": "date",
        "amount": "decimal(20, 6)", "currency": "varchar", "status": "varchar",
        "modified_at": "timestamptz", "is_deleted": "boolean",
    },
    "erp/payments": {
        "payment_id": "varchar", "invoice_id": "varchar", "payment_date": "date",
        "amount": "decimal(20, 6)", "currency": "varchar", "modified_at": "timestamptz",
        "is_deleted": "boolean",
    },
    "erp/fx_rates": {
        "rate_date": "date", "from_currency": "varchar", "to_currency": "varchar",
        "rate": "decimal(24, 12)",
    },
}  # fmt: skip

# The columns compared: the published ones (fct_credits: the credit ledger's)
COMPARED = {
    "credits": (
        "marts.fct_credits",
        "period, credit_id, entry, event_type, event_id, deal_id, employee_id, credit_type, "
        "is_reversal, credit_date, quota_period_start, source_amount, source_currency, fx_rate, "
        "amount, currency, plan_id, component_id, rollup_from_employee_id",
    ),
    "payout_lines": (
        "marts.fct_payout_lines",
        "employee_id, period, plan_id, component_id, quota_period_start, line_type, amount, "
        "currency",
    ),
    "payouts": (
        "marts.fct_payouts",
        "employee_id, period, currency, commission, spiff, draw_top_up, draw_recovery, "
        "adjustments, negative_carry_in, net_payout",
    ),
}


class FloorMismatch(AssertionError):
    """The floor and the dbt marts disagree."""


@dataclass
class FloorRun:
    """Where the floor's results are and how long each part took."""

    database: Path
    seconds: float  # the SQL script (reading landing files to payouts)
    config_seconds: float  # validating comp/ and writing the comp tables (not data work)
    statements: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, scan: str) -> set[str]:
    return {row[0] for row in con.execute(f"describe select * from {scan}").fetchall()}


def entity_scan(con: duckdb.DuckDBPyConnection, folder: Path, columns: dict[str, str]) -> str:
    """A typed relation over every CSV and Parquet batch of ``folder`` (with ``_file``).

    CSV values are text: blank is NULL, the rest casts strictly (a bad value fails, as in
    staging). Parquet values are typed already. A column no batch has is NULL.
    """
    parts = []
    readers = {
        "csv": "read_csv({}, header = true, all_varchar = true, union_by_name = true, "
        "filename = '_file', delim = ',', quote = '\"')",
        "parquet": "read_parquet({}, union_by_name = true, filename = '_file')",
    }
    for kind, reader in readers.items():
        if not any(folder.glob(f"*.{kind}")):
            continue
        scan = reader.format(_quote(str(folder / f"*.{kind}")))
        present = _columns(con, scan)
        select = []
        for name, sql_type in columns.items():
            if name not in present:
                select.append(f"null::{sql_type} as {name}")
            elif kind == "csv":
                select.append(f"cast(nullif(trim({name}), '') as {sql_type}) as {name}")
            else:
                select.append(f"cast({name} as {sql_type}) as {name}")
        parts.append(f"select {', '.join(select)}, _file from {scan}")
    if not parts:  # an absent entity counts as empty
        empty = ", ".join(f"null::{t} as {n}" for n, t in columns.items())
        return f"(select {empty}, null::varchar as _file where false)"
    return "(" + " union all ".join(parts) + ")"


def script(con: duckdb.DuckDBPyConnection, ws: Workspace, first: str, through: str) -> list[str]:
    """floor.sql with the landing scans and months filled in, as statements."""
    values = {
        name: entity_scan(con, ws.landing_dir / name, columns) for name, columns in ENTITIES.items()
    }
    values["first_month"] = f"{first}-01"
    values["through_month"] = f"{through}-01" if through else ""

    class _Template(Template):
        idpattern = r"[a-z_/]+"

    text = _Template(FLOOR_SQL.read_text(encoding="utf-8")).substitute(values)
    text = re.sub(r"--[^\n]*", "", text)  # comments (no string literal holds '--')
    return [s.strip() for s in text.split(";") if s.strip()]


def run_floor(
    workspace: Workspace | Path,
    database: Path,
    *,
    first: str | None = None,
    through: str | None = None,
    threads: int | None = None,
) -> FloorRun:
    """Run the floor on ``workspace``'s landing files into ``database`` (replaced).

    ``first``: the first month settled (default: first_period as the engine takes it);
    ``through``: the last (default: the month of the latest credit, dbt's default).
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    first = parse_period(first) if first else first_period(ws)
    through = parse_period(through) if through else ""
    database.unlink(missing_ok=True)
    Path(f"{database}.wal").unlink(missing_ok=True)
    with duckdb_file(database) as con:
        if threads:
            con.execute(f"set threads = {threads}")
        started = time.perf_counter()
        write_comp_tables(load_comp_config(ws), con)
        config_seconds = time.perf_counter() - started
        run = FloorRun(database, 0.0, config_seconds)
        started = time.perf_counter()
        for statement in script(con, ws, first, through):
            head = " ".join(statement.split()[:6])
            step = time.perf_counter()
            con.execute(statement)
            run.statements[head] = time.perf_counter() - step
        run.seconds = time.perf_counter() - started
        for name in COMPARED:
            (count,) = con.execute(f"select count(*) from floor_out.{name}").fetchone()  # type: ignore[misc]
            run.rows[name] = int(count)
    return run


def compare_with_warehouse(floor_db: Path, warehouse: Path | Workspace) -> dict[str, int]:
    """Rows of each floor table equal the dbt mart's, row for row; FloorMismatch otherwise.

    ``warehouse``: a DuckDB file (attached), or a workspace whose warehouse may be a server
    (PostgreSQL, Spark): its marts are then read through the warehouse interface and compared
    in the floor's DuckDB.
    """
    counts: dict[str, int] = {}
    server = None
    if isinstance(warehouse, Workspace):
        if warehouse.engine == "duckdb":
            warehouse = warehouse.warehouse_path
        else:
            server = warehouse
    with duckdb.connect(str(floor_db), read_only=True) as con:
        if server is None:
            con.execute(f"attach {_quote(str(warehouse))} as wh (read_only)")
        else:
            with connect(server, read_only=True) as source:
                for mart, _ in COMPARED.values():
                    con.register(mart.replace(".", "__"), source.arrow(f"select * from {mart}"))
        for name, (mart, columns) in COMPARED.items():
            mart = "wh." + mart if server is None else mart.replace(".", "__")
            a = con.execute(
                f"select {columns} from {mart} except all "
                f"select {columns} from floor_out.{name} limit 3"
            ).fetchall()
            b = con.execute(
                f"select {columns} from floor_out.{name} except all "
                f"select {columns} from {mart} limit 3"
            ).fetchall()
            if a or b:
                (n_dbt,) = con.execute(f"select count(*) from {mart}").fetchone()  # type: ignore[misc]
                (n_floor,) = con.execute(f"select count(*) from floor_out.{name}").fetchone()  # type: ignore[misc]
                raise FloorMismatch(
                    f"floor_out.{name} ({n_floor:,} rows) differs from {mart.removeprefix('wh.')} "
                    f"({n_dbt:,} rows); "
                    f"only in dbt: {a}; only in the floor: {b}"
                )
            (counts[name],) = con.execute(f"select count(*) from {mart}").fetchone()  # type: ignore[misc]
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--first", help="first month settled (default: first_period)")
    parser.add_argument("--through", help="last month settled (default: latest credit)")
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument("--compare", action="store_true", help="check against the dbt marts")
    parser.add_argument("--json", action="store_true", help="print the timings as one JSON line")
    args = parser.parse_args(argv)
    ws = Workspace.open(args.workspace)
    database = args.database or ws.root / ".openspm" / "floor.duckdb"
    database.parent.mkdir(parents=True, exist_ok=True)
    run = run_floor(ws, database, first=args.first, through=args.through)
    if args.json:
        print(
            json.dumps(
                {
                    "seconds": run.seconds,
                    "config_seconds": run.config_seconds,
                    "statements": run.statements,
                    "rows": run.rows,
                }
            )
        )
        return 0
    for head, seconds in run.statements.items():
        print(f"  {seconds:7.2f} s  {head}")
    print(f"floor: {run.seconds:.2f} s (+ comp config {run.config_seconds:.2f} s); {run.rows}")
    if args.compare:
        print("identical to the dbt marts:", compare_with_warehouse(database, ws.warehouse_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
