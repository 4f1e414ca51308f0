"""Publication of a month: the drafts dbt computed, copied into ``finance.*`` once, atomically.

See docs/engine-interface.md (the tables) and docs/close.md (the rules). ``publish_period``
runs in ONE DuckDB transaction: a crash, a kill or a failed reconciliation at any point leaves
the month either wholly published or not at all, and a published month is never rewritten.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from openspm.periods import parse_period, period_range

FINANCE_SCHEMA = "finance"
MARTS_SCHEMA = "marts"
# Test hook: seconds to sleep after each insert of a publication (kill tests only).
SLEEP_ENV = "OPENSPM_TEST_PUBLISH_SLEEP"

CREDIT_COLUMNS = (
    "period",
    "credit_id",
    "entry",
    "event_type",
    "event_id",
    "deal_id",
    "employee_id",
    "credit_type",
    "is_reversal",
    "credit_date",
    "quota_period_start",
    "source_amount",
    "source_currency",
    "fx_rate",
    "amount",
    "currency",
    "plan_id",
    "component_id",
    "rollup_from_employee_id",
)
PAYOUT_COLUMNS = (
    "employee_id",
    "period",
    "currency",
    "commission",
    "spiff",
    "draw_top_up",
    "draw_recovery",
    "adjustments",
    "negative_carry_in",
    "net_payout",
)
LINE_COLUMNS = (
    "employee_id",
    "period",
    "plan_id",
    "component_id",
    "quota_period_start",
    "line_type",
    "amount",
    "currency",
)
ADJUSTMENT_COLUMNS = (
    "adjustment_id",
    "employee_id",
    "period",
    "amount",
    "currency",
    "reason",
    "source_row",
)
OPENING_COLUMNS = (
    "period",
    "employee_id",
    "kind",
    "plan_id",
    "component_id",
    "quota_period_start",
    "line_kind",
    "amount",
    "currency",
    "source",
    "source_row",
)
ATTAINMENT_COLUMNS = (
    "employee_id",
    "plan_id",
    "component_id",
    "period",
    "quota_period_start",
    "credit_to_date",
    "quota",
    "attainment",
    "earnings_to_date",
)

_STAMP = "run_id VARCHAR NOT NULL, published_at TIMESTAMP NOT NULL"
FINANCE_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {FINANCE_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.payouts (
        employee_id VARCHAR NOT NULL, period VARCHAR NOT NULL, currency VARCHAR,
        commission DECIMAL(18,2), spiff DECIMAL(18,2), draw_top_up DECIMAL(18,2),
        draw_recovery DECIMAL(18,2), adjustments DECIMAL(18,2),
        negative_carry_in DECIMAL(18,2), net_payout DECIMAL(18,2), {_STAMP})""",
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.payout_lines (
        employee_id VARCHAR NOT NULL, period VARCHAR NOT NULL, plan_id VARCHAR,
        component_id VARCHAR, quota_period_start DATE, line_type VARCHAR,
        amount DECIMAL(18,2), currency VARCHAR, {_STAMP})""",
    # the credit ledger: entries add / reverse per closing month (docs/engine.md)
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.credits (
        period VARCHAR NOT NULL, credit_id VARCHAR NOT NULL, entry VARCHAR NOT NULL,
        event_type VARCHAR, event_id VARCHAR, deal_id VARCHAR, employee_id VARCHAR,
        credit_type VARCHAR, is_reversal BOOLEAN, credit_date DATE, quota_period_start DATE,
        source_amount DECIMAL(38,14), source_currency VARCHAR, fx_rate DECIMAL(24,12),
        amount DECIMAL(38,14), currency VARCHAR, plan_id VARCHAR, component_id VARCHAR,
        rollup_from_employee_id VARCHAR, {_STAMP})""",
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.attainment (
        employee_id VARCHAR NOT NULL, plan_id VARCHAR, component_id VARCHAR,
        period VARCHAR NOT NULL, quota_period_start DATE, credit_to_date DECIMAL(38,10),
        quota DECIMAL(20,6), attainment DECIMAL(38,10), earnings_to_date DECIMAL(38,10),
        {_STAMP})""",
    # the manual adjustments each close paid, with their ids (docs/contract.md section 3)
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.adjustments (
        adjustment_id VARCHAR NOT NULL, employee_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
        amount DECIMAL(20,6), currency VARCHAR, reason VARCHAR, source_row INTEGER, {_STAMP})""",
    # the go-live amounts, recorded by the close of first_period (docs/contract.md rule 4.12)
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.opening_balances (
        period VARCHAR NOT NULL, employee_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        plan_id VARCHAR, component_id VARCHAR, quota_period_start DATE, line_kind VARCHAR,
        amount DECIMAL(18,2), currency VARCHAR, source VARCHAR, source_row INTEGER, {_STAMP})""",
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.closes (
        period VARCHAR PRIMARY KEY, {_STAMP}, payouts BIGINT NOT NULL, lines BIGINT NOT NULL,
        net_total DECIMAL(18,2) NOT NULL)""",
    # The outcome of every close / run / backfill attempt per month (openspm status reads it).
    f"""CREATE TABLE IF NOT EXISTS {FINANCE_SCHEMA}.close_attempts (
        period VARCHAR NOT NULL, kind VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        attempted_at TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL, message VARCHAR,
        PRIMARY KEY (period, kind, run_id))""",
)


class CloseRefused(RuntimeError):
    """A month cannot be published; the message is one line naming the cause."""


@dataclass(frozen=True)
class PublishReport:
    period: str
    run_id: str
    published_at: datetime
    payouts: int
    lines: int
    attainment: int
    credits: int
    net_total: Decimal

    def __str__(self) -> str:
        return (
            f"{self.period} published: {self.payouts} payouts, {self.lines} lines, "
            f"{self.attainment} attainment rows, {self.credits} credits, net total "
            f"{self.net_total} (run {self.run_id})"
        )


def ensure_finance_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the schema ``finance`` and its tables when missing (never alters existing ones)."""
    for statement in FINANCE_DDL:
        connection.execute(statement)


def closed_periods(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, datetime]]:
    """Published months -> (run_id, published_at); empty when finance.closes does not exist."""
    try:
        rows = connection.execute(
            f"select period, run_id, published_at from {FINANCE_SCHEMA}.closes"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {period: (run_id, at) for period, run_id, at in rows}


def refusal(connection: duckdb.DuckDBPyConnection, period: str, first_period: str) -> str | None:
    """Why ``period`` cannot be closed now (already closed, earlier month open), else None.

    Cheap and read-only: the CLI asks before computing anything, publish_period asks again
    inside its transaction.
    """
    closed = closed_periods(connection)
    first_closed = min(closed, default=None)
    if first_closed is not None and first_closed != first_period:
        run_id, _ = closed[first_closed]
        return (
            f"first_period is {first_period} but {first_closed} was closed as the first month "
            f"(run {run_id}); first_period cannot change after its close: set it back to "
            f"{first_closed} in openspm.yaml"
        )
    if period in closed:
        run_id, at = closed[period]
        return (
            f"{period} is already closed (run {run_id}, published {at:%Y-%m-%d %H:%M:%S} UTC); "
            "a closed month is never rewritten"
        )
    if period < first_period:
        return f"{period} is before first_period {first_period}; there is nothing to close"
    missing = [p for p in period_range(first_period, period)[:-1] if p not in closed]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        return (
            f"cannot close {period}: earlier month(s) since first_period {first_period} are "
            f"not closed: {shown}; close {missing[0]} first"
        )
    return None


def _count(connection: duckdb.DuckDBPyConnection, sql: str, params: list) -> int:
    (value,) = connection.execute(sql, params).fetchone()  # type: ignore[misc]
    return int(value or 0)


def _insert(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    columns: tuple[str, ...],
    period: str,
    run_id: str,
    published_at: datetime,
) -> int:
    """Copy the rows of ``source`` with ``period`` into ``finance.<table>``; the row count."""
    names = ", ".join(columns)
    connection.execute(
        f"insert into {FINANCE_SCHEMA}.{table} ({names}, run_id, published_at) "
        f"select {names}, ?, ? from {source} where period = ?",
        [run_id, published_at, period],
    )
    inserted = _count(
        connection,
        f"select count(*) from {FINANCE_SCHEMA}.{table} where period = ? and run_id = ?",
        [period, run_id],
    )
    pause = float(os.environ.get(SLEEP_ENV) or 0)
    if pause:
        print(f"publish: inserted {table}", flush=True)
        time.sleep(pause)
    return inserted


RECONCILIATIONS = (
    (
        "payout lines without a payout row",
        """select l.employee_id from finance.payout_lines l
           where l.period = $p and l.run_id = $r and not exists (
             select 1 from finance.payouts o
             where o.period = $p and o.run_id = $r and o.employee_id = l.employee_id)
           group by 1""",
    ),
    (
        "more than one payout row for an employee",
        """select employee_id from finance.payouts where period = $p and run_id = $r
           group by employee_id having count(*) > 1""",
    ),
    (
        "commission differs from the sum of the commission and restatement lines",
        # only where every line is in the payout currency (otherwise the payout is converted)
        """select o.employee_id from finance.payouts o
           where o.period = $p and o.run_id = $r
             and not exists (select 1 from finance.payout_lines l
                             where l.period = $p and l.run_id = $r
                               and l.employee_id = o.employee_id and l.currency <> o.currency)
             and coalesce(o.commission, 0) <> coalesce((
                 select sum(l.amount) from finance.payout_lines l
                 where l.period = $p and l.run_id = $r and l.employee_id = o.employee_id
                   and l.line_type in ('commission', 'restatement')), 0)""",
    ),
    (
        "spiff differs from the sum of the spiff lines",
        """select o.employee_id from finance.payouts o
           where o.period = $p and o.run_id = $r
             and not exists (select 1 from finance.payout_lines l
                             where l.period = $p and l.run_id = $r
                               and l.employee_id = o.employee_id and l.currency <> o.currency)
             and coalesce(o.spiff, 0) <> coalesce((
                 select sum(l.amount) from finance.payout_lines l
                 where l.period = $p and l.run_id = $r and l.employee_id = o.employee_id
                   and l.line_type = 'spiff'), 0)""",
    ),
    (
        "net_payout missing or negative",
        """select employee_id from finance.payouts where period = $p and run_id = $r
           and (net_payout is null or net_payout < 0)""",
    ),
)


def _reconcile(connection: duckdb.DuckDBPyConnection, period: str, run_id: str) -> None:
    for name, sql in RECONCILIATIONS:
        rows = connection.execute(sql, {"p": period, "r": run_id}).fetchall()
        if rows:
            shown = ", ".join(str(row[0]) for row in rows[:5])
            raise CloseRefused(
                f"cannot close {period}: reconciliation failed: {name} "
                f"({len(rows)} employee(s), e.g. {shown}); nothing was published"
            )


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return (
        _count(
            connection,
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        )
        > 0
    )


def _drafts_exist(connection: duckdb.DuckDBPyConnection, period: str) -> bool:
    if not _table_exists(connection, MARTS_SCHEMA, "fct_payouts"):
        return False
    sql = f"select count(*) from {MARTS_SCHEMA}.fct_payouts where period = ?"
    return _count(connection, sql, [period]) > 0


def missing_draft_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The draft tables a publication reads that the warehouse does not have."""
    names = (
        "fct_payouts",
        "fct_payout_lines",
        "fct_attainment",
        "fct_credits",
        "fct_adjustments",
        "fct_opening_balances",
    )
    return [f"{MARTS_SCHEMA}.{n}" for n in names if not _table_exists(connection, MARTS_SCHEMA, n)]


def publish_period(
    connection: duckdb.DuckDBPyConnection,
    period: str,
    run_id: str,
    *,
    first_period: str | None = None,
) -> PublishReport:
    """Publish the drafts of ``period`` into ``finance.*`` in one transaction.

    ``first_period`` defaults to ``period`` (no earlier month required) when not given; the
    close passes the workspace's. Raises CloseRefused (nothing written) when the month is
    already closed, an earlier month since first_period is open, no drafts were computed for
    it, or a reconciliation fails.
    """
    period = parse_period(period)
    first = parse_period(first_period, "first_period") if first_period else period
    ensure_finance_tables(connection)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    connection.begin()
    try:
        why = refusal(connection, period, first)
        if why:
            raise CloseRefused(why)
        missing = missing_draft_tables(connection)
        if missing:
            raise CloseRefused(
                f"no drafts computed for {period}: the warehouse has no {', '.join(missing)}; "
                "the engine models have not been built"
            )
        if not _drafts_exist(connection, period):
            raise CloseRefused(
                f"no drafts computed for {period} (marts.fct_payouts has no row for it); "
                f"run `openspm run --through {period}` or `openspm close --period {period}`"
            )
        stamp = (period, run_id, published_at)
        payouts = _insert(connection, "payouts", "marts.fct_payouts", PAYOUT_COLUMNS, *stamp)
        lines = _insert(connection, "payout_lines", "marts.fct_payout_lines", LINE_COLUMNS, *stamp)
        attainment = _insert(
            connection, "attainment", "marts.fct_attainment", ATTAINMENT_COLUMNS, *stamp
        )
        credits = _insert(connection, "credits", "marts.fct_credits", CREDIT_COLUMNS, *stamp)
        _insert(connection, "adjustments", "marts.fct_adjustments", ADJUSTMENT_COLUMNS, *stamp)
        _insert(
            connection, "opening_balances", "marts.fct_opening_balances", OPENING_COLUMNS, *stamp
        )
        _reconcile(connection, period, run_id)
        (net_total,) = connection.execute(
            "select coalesce(sum(net_payout), 0)::decimal(18,2) from finance.payouts "
            "where period = ? and run_id = ?",
            [period, run_id],
        ).fetchone()  # type: ignore[misc]
        connection.execute(
            "insert into finance.closes (period, run_id, published_at, payouts, lines, "
            "net_total) values (?, ?, ?, ?, ?, ?)",
            [period, run_id, published_at, payouts, lines, net_total],
        )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return PublishReport(
        period, run_id, published_at, payouts, lines, attainment, credits, Decimal(net_total)
    )
