"""Publication of a month: the drafts dbt computed, copied into ``finance.*`` once, atomically.

See docs/engine-interface.md (the tables) and docs/close.md (the rules). ``publish_period``
runs in ONE transaction on DuckDB and PostgreSQL (there under an advisory lock that serializes
publishers): a crash, a kill or a failed reconciliation at any point leaves the month either
wholly published or not at all, and a published month is never rewritten. Spark has no
multi-table transactions: the month's rows are written into ``finance_store.*`` (Parquet,
a partition per month, overwritten whole by a retry) and its row in ``finance.closes`` last;
``finance.*`` are views that show only the months ``finance.closes`` lists (docs/scaling.md).
The DDL of ``finance.*`` lives here and nowhere else: every step that runs dbt creates the
tables first (the engine reads the published history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from openspm.accounting.policy import ACCOUNTING_TABLES
from openspm.dbt_project import DbtProjectError, Manifest, project_manifest
from openspm.money import format_totals
from openspm.periods import parse_period, period_range
from openspm.quality.accounting_checks import ACCOUNTING_CHECKS
from openspm.quality.findings import CheckOutcome
from openspm.quality.reconciliations import check_net_payout, check_payout_lines
from openspm.warehouse import Warehouse, missing_tables, quote_literal, table_exists

FINANCE_SCHEMA = "finance"
SPARK_STORE_SCHEMA = "finance_store"  # Spark: the month partitions behind the finance views
STAMP_COLUMNS = ("run_id VARCHAR NOT NULL", "published_at TIMESTAMP NOT NULL")

# The published tables of a month, in the order they are copied: the columns a draft mart
# provides (with their types), then run_id and published_at (docs/engine-interface.md). Which
# mart feeds each table is the marts' own word, in the dbt manifest (``draft_tables``).
PUBLISHED_TABLES: dict[str, tuple[str, ...]] = {
    "payouts": (
        "employee_id VARCHAR NOT NULL",
        "period VARCHAR NOT NULL",
        "currency VARCHAR",
        "commission DECIMAL(18,2)",
        "spiff DECIMAL(18,2)",
        "draw_top_up DECIMAL(18,2)",
        "draw_recovery DECIMAL(18,2)",
        "adjustments DECIMAL(18,2)",
        "negative_carry_in DECIMAL(18,2)",
        "net_payout DECIMAL(18,2)",
    ),
    "payout_lines": (
        "employee_id VARCHAR NOT NULL",
        "period VARCHAR NOT NULL",
        "plan_id VARCHAR",
        "component_id VARCHAR",
        "quota_period_start DATE",
        "line_type VARCHAR",
        "amount DECIMAL(18,2)",
        "currency VARCHAR",
    ),
    "attainment": (
        "employee_id VARCHAR NOT NULL",
        "plan_id VARCHAR",
        "component_id VARCHAR",
        "period VARCHAR NOT NULL",
        "quota_period_start DATE",
        "credit_to_date DECIMAL(38,10)",
        "quota DECIMAL(20,6)",
        "attainment DECIMAL(38,10)",
        "earnings_to_date DECIMAL(38,10)",
    ),
    # the credit ledger: entries add / reverse per closing month (docs/engine.md)
    "credits": (
        "period VARCHAR NOT NULL",
        "credit_id VARCHAR NOT NULL",
        "entry VARCHAR NOT NULL",
        "event_type VARCHAR",
        "event_id VARCHAR",
        "deal_id VARCHAR",
        "employee_id VARCHAR",
        "credit_type VARCHAR",
        "is_reversal BOOLEAN",
        "credit_date DATE",
        "quota_period_start DATE",
        "source_amount DECIMAL(38,14)",
        "source_currency VARCHAR",
        "fx_rate DECIMAL(24,12)",
        "amount DECIMAL(38,14)",
        "currency VARCHAR",
        "plan_id VARCHAR",
        "component_id VARCHAR",
        "rollup_from_employee_id VARCHAR",
    ),
    # the recoverable draw balance around each payout (extension, statements show it)
    "draw_balances": (
        "employee_id VARCHAR NOT NULL",
        "period VARCHAR NOT NULL",
        "currency VARCHAR",
        "draw_balance_before DECIMAL(18,2)",
        "draw_balance_after DECIMAL(18,2)",
    ),
    # the manual adjustments each close paid, with their ids (docs/contract.md section 3)
    "adjustments": (
        "adjustment_id VARCHAR NOT NULL",
        "employee_id VARCHAR NOT NULL",
        "period VARCHAR NOT NULL",
        "amount DECIMAL(20,6)",
        "currency VARCHAR",
        "reason VARCHAR",
        "source_row INTEGER",
    ),
    # the go-live amounts, recorded by the close of first_period (docs/contract.md rule 4.12)
    "opening_balances": (
        "period VARCHAR NOT NULL",
        "employee_id VARCHAR NOT NULL",
        "kind VARCHAR NOT NULL",
        "plan_id VARCHAR",
        "component_id VARCHAR",
        "quota_period_start DATE",
        "line_kind VARCHAR",
        "amount DECIMAL(18,2)",
        "currency VARCHAR",
        "source VARCHAR",
        "source_row INTEGER",
    ),
    # attainment ranked by role and team (docs/modelling.md, "The leaderboard")
    "leaderboard": (
        "period VARCHAR NOT NULL",
        "quota_period_start DATE",
        "employee_id VARCHAR NOT NULL",
        "plan_id VARCHAR",
        "role VARCHAR",
        "team_manager_id VARCHAR",
        "credit_to_date DECIMAL(38,10)",
        "quota DECIMAL(20,6)",
        "currency VARCHAR",
        "attainment DECIMAL(38,10)",
        "rank_in_role INTEGER",
        "role_size INTEGER",
        "rank_in_team INTEGER",
        "team_size INTEGER",
    ),
    # commission accounting (docs/contract.md section 5, docs/accounting.md): each line's cost
    # per deal, the layers (the state the next close continues from), the roll-forward, the
    # amortization scheduled for the next 12 months, and the journal entries
    "commission_costs": (
        "period VARCHAR NOT NULL",
        "employee_id VARCHAR NOT NULL",
        "cost_type VARCHAR NOT NULL",
        "plan_id VARCHAR",
        "component_id VARCHAR",
        "quota_period_start DATE",
        "adjustment_id VARCHAR",
        "deal_id VARCHAR",
        "asset_id VARCHAR",
        "basis VARCHAR",
        "weight DECIMAL(38,14)",
        "source_amount DECIMAL(38,14)",
        "source_currency VARCHAR",
        "line_amount DECIMAL(18,2)",
        "amount DECIMAL(18,2) NOT NULL",
        "currency VARCHAR NOT NULL",
        "treatment VARCHAR NOT NULL",
    ),
    "deferred_commission_layers": (
        "period VARCHAR NOT NULL",
        "asset_id VARCHAR NOT NULL",
        "layer_period VARCHAR NOT NULL",
        "event VARCHAR NOT NULL",
        "deal_id VARCHAR NOT NULL",
        "employee_id VARCHAR NOT NULL",
        "currency VARCHAR NOT NULL",
        "amount DECIMAL(18,2) NOT NULL",
        "balance DECIMAL(18,2) NOT NULL",
        "monthly_amount DECIMAL(18,2) NOT NULL",
        "first_period VARCHAR NOT NULL",
        "last_period VARCHAR NOT NULL",
        "months INTEGER NOT NULL",
    ),
    "deferred_commissions": (
        "asset_id VARCHAR NOT NULL",
        "period VARCHAR NOT NULL",
        "deal_id VARCHAR NOT NULL",
        "employee_id VARCHAR NOT NULL",
        "currency VARCHAR NOT NULL",
        "opening DECIMAL(18,2) NOT NULL",
        "addition DECIMAL(18,2) NOT NULL",
        "write_down DECIMAL(18,2) NOT NULL",
        "amortization DECIMAL(18,2) NOT NULL",
        "impairment DECIMAL(18,2) NOT NULL",
        "closing DECIMAL(18,2) NOT NULL",
        "current_portion DECIMAL(18,2) NOT NULL",
        "noncurrent_portion DECIMAL(18,2) NOT NULL",
        "layers INTEGER",
    ),
    "amortization_schedule": (
        "period VARCHAR NOT NULL",
        "currency VARCHAR NOT NULL",
        "schedule_period VARCHAR NOT NULL",
        "months_ahead INTEGER NOT NULL",
        "amount DECIMAL(18,2) NOT NULL",
    ),
    "journal_entries": (
        "period VARCHAR NOT NULL",
        "entry_id VARCHAR NOT NULL",
        "line INTEGER NOT NULL",
        "account VARCHAR NOT NULL",
        "debit DECIMAL(18,2) NOT NULL",
        "credit DECIMAL(18,2) NOT NULL",
        "currency VARCHAR NOT NULL",
        "memo VARCHAR",
        "entry_type VARCHAR NOT NULL",
        "account_role VARCHAR NOT NULL",
        "deal_id VARCHAR",
        "employee_id VARCHAR",
    ),
}
CLOSES_COLUMNS = (
    "period VARCHAR NOT NULL",  # the key
    *STAMP_COLUMNS,
    "payouts BIGINT NOT NULL",
    "lines BIGINT NOT NULL",
    "net_total DECIMAL(18,2) NOT NULL",
)



def _names(columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(column.split()[0] for column in columns)


class CloseRefused(RuntimeError):
    """A month cannot be published; the message is one line naming the cause."""


class OutOfOrder(CloseRefused):
    """The request cannot be met as asked (the month is closed, before first_period, or an
    earlier month is open): nothing was attempted, so nothing is recorded as failing."""


def draft_tables(manifest: Manifest | None = None) -> dict[str, str]:
    """Published table (``payouts``) -> the draft mart it is copied from (``marts.fct_payouts``).

    Read from the dbt manifest: a mart names the table it publishes to in its YAML
    (``meta: {openspm: {publish_to: finance.<table>}}``). Every published table needs exactly
    one mart; DbtProjectError otherwise.
    """
    publications = (manifest or project_manifest()).publications()
    drafts = {
        target.removeprefix(f"{FINANCE_SCHEMA}."): mart
        for target, mart in publications.items()
        if target.startswith(f"{FINANCE_SCHEMA}.")
    }
    missing = [t for t in PUBLISHED_TABLES if t not in drafts]
    unknown = sorted(set(publications) - {f"{FINANCE_SCHEMA}.{t}" for t in PUBLISHED_TABLES})
    if missing or unknown:
        raise DbtProjectError(
            "the dbt marts and the published tables disagree: "
            + "; ".join(
                [f"no mart publishes to {FINANCE_SCHEMA}.{t}" for t in missing]
                + [f"a mart publishes to {t}, which is not a published table" for t in unknown]
            )
        )
    return {table: drafts[table] for table in PUBLISHED_TABLES}


@dataclass(frozen=True)
class PublishReport:
    period: str
    run_id: str
    published_at: datetime
    counts: Mapping[str, int]  # published table -> rows of the month
    net: Mapping[str, Decimal]  # currency -> net payouts of the month
    net_total: Decimal  # finance.closes.net_total: a control sum over every currency

    @property
    def payouts(self) -> int:
        return self.counts["payouts"]

    @property
    def lines(self) -> int:
        return self.counts["payout_lines"]

    @property
    def attainment(self) -> int:
        return self.counts["attainment"]

    @property
    def credits(self) -> int:
        return self.counts["credits"]

    @property
    def journal_lines(self) -> int:
        return self.counts.get("journal_entries", 0)

    @property
    def assets(self) -> int:
        """Deferred commission assets in the month's roll-forward."""
        return self.counts.get("deferred_commissions", 0)

    def __str__(self) -> str:
        return (
            f"{self.period} published: {self.payouts} payouts, {self.lines} lines, "
            f"{self.attainment} attainment rows, {self.credits} credit ledger entries, "
            f"{self.journal_lines} journal lines, {self.assets} deferred commission assets; net "
            f"{format_totals(self.net)} (run {self.run_id})"
        )


def ensure_finance_tables(connection: Warehouse) -> None:
    """Create the schema ``finance`` and its tables when missing (never alters existing ones).

    On Spark: the month-partitioned tables in ``finance_store``, ``finance.closes`` (the
    pointer) and one view per published table reading only the months it lists.
    """
    connection.create_schema(FINANCE_SCHEMA)
    if connection.engine != "spark":
        for table, columns in PUBLISHED_TABLES.items():
            connection.create_table(f"{FINANCE_SCHEMA}.{table}", (*columns, *STAMP_COLUMNS))
        connection.create_table(f"{FINANCE_SCHEMA}.closes", CLOSES_COLUMNS, primary_key=("period",))
        return
    connection.create_schema(SPARK_STORE_SCHEMA)
    connection.create_table(f"{FINANCE_SCHEMA}.closes", CLOSES_COLUMNS)
    present = connection.tables(FINANCE_SCHEMA)
    for table, columns in PUBLISHED_TABLES.items():
        stored = (*[c for c in columns if not c.startswith("period ")], *STAMP_COLUMNS,
                  "period VARCHAR NOT NULL")  # fmt: skip
        connection.create_table(
            f"{SPARK_STORE_SCHEMA}.{table}", stored, partitioned_by=("period",)
        )
        if table not in present:
            names = ", ".join(_names((*columns, *STAMP_COLUMNS)))
            connection.execute(
                f"CREATE VIEW IF NOT EXISTS {FINANCE_SCHEMA}.{table} AS SELECT {names} "
                f"FROM {SPARK_STORE_SCHEMA}.{table} "
                f"WHERE period IN (SELECT period FROM {FINANCE_SCHEMA}.closes)"
            )


def closed_periods(
    connection: Warehouse | None,
) -> dict[str, tuple[str, datetime]]:
    """Published months -> (run_id, published_at); empty without a warehouse or finance.closes."""
    if connection is None or not table_exists(connection, f"{FINANCE_SCHEMA}.closes"):
        return {}
    rows = connection.execute(
        f"select period, run_id, published_at from {FINANCE_SCHEMA}.closes"
    ).fetchall()
    return {period: (run_id, at) for period, run_id, at in rows}


def open_months(connection: Warehouse | None, first: str, last: str) -> list[str]:
    """The months from ``first`` to ``last`` that are not published."""
    closed = closed_periods(connection)
    return [p for p in period_range(first, last) if p not in closed]


def latest_drafted_period(connection: Warehouse | None) -> str | None:
    """The latest month the engine computed drafts for (None before any were computed)."""
    payouts = draft_tables()["payouts"]
    if connection is None or not table_exists(connection, payouts):
        return None
    row = connection.execute(f"select max(period) from {payouts}").fetchone()
    return str(row[0]) if row and row[0] else None


def refusal(
    connection: Warehouse | None, period: str, first_period: str
) -> str | None:
    """Why ``period`` cannot be closed now (first_period moved, already closed, earlier month
    open), else None.

    Cheap and read-only (``connection`` None: no warehouse yet, nothing published): the CLI
    asks before computing anything, publish_period asks again inside its transaction.
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


def _count(connection: Warehouse, sql: str, params: list) -> int:
    (value,) = connection.execute(sql, params).fetchone()  # type: ignore[misc]
    return int(value or 0)


def _insert(
    connection: Warehouse,
    table: str,
    source: str,
    columns: tuple[str, ...],
    period: str,
    run_id: str,
    published_at: datetime,
) -> int:
    """Copy the rows of ``source`` with ``period`` into ``finance.<table>``; the row count.

    On Spark the month's partition of ``finance_store.<table>`` is overwritten (a retry after a
    failure replaces what the failed attempt wrote; the views do not show it before its close).
    """
    if connection.engine == "spark":
        data = ", ".join(c for c in columns if c != "period")
        connection.execute(
            f"insert overwrite table {SPARK_STORE_SCHEMA}.{table} "
            f"partition (period = {quote_literal(period)}) "
            f"select {data}, ?, cast(? as timestamp_ntz) from {source} where period = ?",
            [run_id, published_at, period],
        )
        stored = f"{SPARK_STORE_SCHEMA}.{table}"
    else:
        names = ", ".join(columns)
        connection.execute(
            f"insert into {FINANCE_SCHEMA}.{table} ({names}, run_id, published_at) "
            f"select {names}, ?, ? from {source} where period = ?",
            [run_id, published_at, period],
        )
        stored = f"{FINANCE_SCHEMA}.{table}"
    return _count(
        connection,
        f"select count(*) from {stored} where period = ? and run_id = ?",
        [period, run_id],
    )


def published_net(connection: Warehouse, period: str) -> dict[str, Decimal]:
    """The published net payouts of ``period`` per payout currency."""
    rows = connection.execute(
        f"select currency, sum(net_payout) from {FINANCE_SCHEMA}.payouts where period = ? "
        "group by 1 order by 1",
        [period],
    ).fetchall()
    return {str(currency): Decimal(net or 0) for currency, net in rows}


def _reconcile(
    connection: Warehouse, period: str, run_id: str, schema: str, *, accounting: bool = True
) -> None:
    """The published month's payouts against their lines and its accounting (journals balance,
    roll-forward ties, costs reconcile, accrued balance): the blocking checks, on finance.*
    (on Spark on ``finance_store``, which the views do not show before the month's close)."""
    duplicated = connection.execute(
        f"select employee_id from {schema}.payouts where period = ? and run_id = ? "
        "group by employee_id having count(*) > 1 order by 1",
        [period, run_id],
    ).fetchall()
    if duplicated:
        shown = ", ".join(str(row[0]) for row in duplicated[:5])
        raise CloseRefused(
            f"cannot close {period}: reconciliation failed: more than one payout row for an "
            f"employee ({len(duplicated)} employee(s), e.g. {shown}); nothing was published"
        )
    checks = (check_payout_lines, check_net_payout, *(ACCOUNTING_CHECKS if accounting else ()))
    for check in checks:
        outcome: CheckOutcome = check(connection, period, schema)
        if not outcome.passed:
            raise CloseRefused(
                f"cannot close {period}: reconciliation failed: {outcome.first_line()}; "
                "nothing was published"
            )


def publish_period(
    connection: Warehouse,
    period: str,
    run_id: str,
    *,
    first_period: str | None = None,
    accounting: bool = True,
) -> PublishReport:
    """Publish the drafts of ``period`` into ``finance.*`` in one transaction.

    ``accounting`` False (``accounting.enabled: false``): the accounting tables and checks are
    left out (the tables stay as they are). ``first_period`` defaults to ``period`` (no earlier
    month required) when not given; the close passes the workspace's. Raises CloseRefused
    (nothing written) when the month is already closed, an earlier month since first_period is
    open, no drafts were computed for it, or a reconciliation fails.
    """
    period = parse_period(period)
    first = parse_period(first_period, "first_period") if first_period else period
    drafts = draft_tables()
    published = {
        table: columns
        for table, columns in PUBLISHED_TABLES.items()
        if accounting or table not in ACCOUNTING_TABLES
    }
    drafts = {table: drafts[table] for table in published}
    ensure_finance_tables(connection)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    stored = SPARK_STORE_SCHEMA if connection.engine == "spark" else FINANCE_SCHEMA
    connection.begin()
    try:
        connection.lock_publication()  # PostgreSQL: one publisher at a time, whatever the host
        why = refusal(connection, period, first)
        if why:
            raise OutOfOrder(why)
        missing = missing_tables(connection, drafts.values())
        if missing:
            raise CloseRefused(
                f"no drafts computed for {period}: the warehouse has no {', '.join(missing)}; "
                "the engine models have not been built"
            )
        drafted = f"select count(*) from {drafts['payouts']} where period = ?"
        if not _count(connection, drafted, [period]):
            raise CloseRefused(
                f"no drafts computed for {period} ({drafts['payouts']} has no row for it); "
                f"run `openspm run --through {period}` or `openspm close --period {period}`"
            )
        counts = {
            table: _insert(
                connection,
                table,
                drafts[table],
                _names(columns),
                period,
                run_id,
                published_at,
            )
            for table, columns in published.items()
        }
        _reconcile(connection, period, run_id, stored, accounting=accounting)
        (net_total,) = connection.execute(
            f"select cast(coalesce(sum(net_payout), 0) as decimal(18,2)) from {stored}.payouts "
            "where period = ? and run_id = ?",
            [period, run_id],
        ).fetchone()  # type: ignore[misc]
        # the month's row in finance.closes comes last: on Spark it makes the month visible
        connection.execute(
            f"insert into {FINANCE_SCHEMA}.closes (period, run_id, published_at, payouts, lines, "
            "net_total) values (?, ?, ?, ?, ?, ?)",
            [period, run_id, published_at, counts["payouts"], counts["payout_lines"], net_total],
        )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return PublishReport(
        period,
        run_id,
        published_at,
        counts,
        published_net(connection, period),
        Decimal(net_total),
    )
