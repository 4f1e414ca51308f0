"""The gated publication of a month: one step that produces every ``finance.*`` table.

dbt writes a model before its tests run, so the drafts in ``marts`` are never what finance
reads. This step runs after the dbt step and the data-quality checks; it reads the run's
recorded check outcomes again and refuses unless every blocking one passed, then copies the
month's drafts into ``finance.*`` in one transaction (``openspm.publish``). Each published
table is an asset of its own, downstream of the mart it is copied from, so the graph reads
landing -> raw -> staging -> intermediate -> marts -> finance.
"""


from functools import cache

import dagster as dg

from assets.month_files import STAGED_MONTH_FILES
from assets.partitions import SINGLE_RUN, monthly_partitions
from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from openspm.accounting.policy import accounting_enabled
from openspm.periods import first_period, period_of_partition_key
from openspm.publish import (
    FINANCE_SCHEMA,
    PUBLISHED_TABLES,
    CloseRefused,
    OutOfOrder,
    draft_tables,
    ensure_finance_tables,
    publish_period,
)
from openspm.quality import blocking_failures, load_outcomes
from openspm.status import record_attempt
from openspm.warehouse import Warehouse, connect

GROUP = "finance"
CLOSES = "closes"
REFUSED = "openspm/refused"  # failure metadata: refused as asked, nothing attempted
# What each published table holds, for the asset graph (docs/engine-interface.md).
DESCRIPTIONS = {
    "payouts": "one row per employee and closed month: commission, SPIFF, draw top-up and "
    "recovery, adjustments, negative carry-in and the net payout, in the payout currency",
    "payout_lines": "the commission, restatement and SPIFF lines each payout adds up, per "
    "plan, component and quota period, in the plan currency",
    "attainment": "per employee, plan, component and closed month: credit to date, quota, "
    "attainment and earnings to date of the quota period",
    "credits": "the credit ledger: the credits each close paid on (entries add and reverse), "
    "with their lineage",
    "adjustments": "the manual adjustments each close paid, with their ids",
    "opening_balances": "the go-live amounts recorded with the close of first_period",
    "draw_balances": "per employee and closed month, the recoverable draw balance before and "
    "after the month",
    "leaderboard": "per closed month, employee, plan and quota period: attainment over the "
    "plan's quota-based components ranked within the role and the team",
    "commission_costs": "each payout line's cost attributed to deals (capitalized) or "
    "expensed, per employee and closed month, in the payout currency",
    "deferred_commission_layers": "the layers of each deferred commission asset: what each "
    "close added or wrote down and over which months it amortizes",
    "deferred_commissions": "the roll-forward of each deferred commission asset per closed "
    "month: opening, additions, write-downs, amortization, impairment, closing",
    "amortization_schedule": "per closed month and currency, the amortization scheduled for "
    "the next 12 months",
    "journal_entries": "the month's balanced journal lines (accrual, capitalization, "
    "amortization, write-downs, impairment, payment)",
    CLOSES: "one row per closed month: run id, time, payout and line counts",
}


def finance_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([FINANCE_SCHEMA, table])


PUBLISHED_KEYS = [finance_key(t) for t in (*PUBLISHED_TABLES, CLOSES)]


def _specs() -> list[dg.AssetSpec]:
    drafts = draft_tables()
    specs = [
        dg.AssetSpec(
            key=finance_key(table),
            group_name=GROUP,
            kinds={"duckdb"},
            # the month's files staged and gated first (assets/month_files.py)
            deps=[dg.AssetKey([drafts[table].split(".", 1)[1]]), STAGED_MONTH_FILES],
            description=f"Published {FINANCE_SCHEMA}.{table}: {DESCRIPTIONS[table]}. Written "
            "once per month by a close, never rewritten; the engine reads it back to settle "
            "the months after it.",
        )
        for table in PUBLISHED_TABLES
    ]
    specs.append(
        dg.AssetSpec(
            key=finance_key(CLOSES),
            group_name=GROUP,
            kinds={"duckdb"},
            deps=[finance_key("payouts"), finance_key("payout_lines")],
            description=f"Published {FINANCE_SCHEMA}.{CLOSES}: {DESCRIPTIONS[CLOSES]}; written "
            "last, in the same transaction as the month's other tables.",
        )
    )
    return specs


@cache
def build_publication(first_month: str) -> dg.AssetsDefinition:
    """The publication step of the monthly partitions starting at ``first_month``."""

    @dg.multi_asset(
        name="publish_month",
        specs=_specs(),
        partitions_def=monthly_partitions(first_month),
        backfill_policy=SINGLE_RUN,
        pool=DUCKDB_WRITER_POOL,
        description=(
            "Publish the month into finance.* in one transaction; refused when the month is "
            "closed, an earlier month is open, a blocking check failed or did not run in this "
            "run, no drafts exist or a reconciliation fails."
        ),
    )
    def publish_month(context: dg.AssetExecutionContext, workspace: WorkspaceResource):
        yield from publish(context, workspace)

    return publish_month


def publish(context: dg.AssetExecutionContext, workspace: WorkspaceResource):
    """Publish the run's month; one MaterializeResult per finance table."""
    keys = context.partition_key_range
    if keys.start != keys.end:
        raise dg.Failure(
            description=f"a close publishes one month; got the range {keys.start}...{keys.end}"
        )
    period = period_of_partition_key(keys.end)
    ws = workspace.open()
    connection = connect(ws)
    try:
        ensure_finance_tables(connection)  # finance reads them even before a first close
        first = first_period(ws, connection)
        try:
            refuse_unless_checked(connection, context.run_id)
            report = publish_period(
                connection,
                period,
                context.run_id,
                first_period=first,
                accounting=accounting_enabled(ws.settings),
            )
        except OutOfOrder as exc:  # a request that cannot be met changes nothing
            raise dg.Failure(description=str(exc), metadata={REFUSED: True}) from None
        except CloseRefused as exc:
            record_attempt(connection, period, "close", context.run_id, False, str(exc))
            raise dg.Failure(description=str(exc)) from None
        record_attempt(connection, period, "close", context.run_id, True, str(report))
    finally:
        connection.close()
    context.log.info(str(report))
    for table, rows in report.counts.items():
        yield dg.MaterializeResult(
            asset_key=finance_key(table), metadata={"period": period, "rows": rows}
        )
    yield dg.MaterializeResult(
        asset_key=finance_key(CLOSES),
        metadata={
            "period": period,
            "payouts": report.payouts,
            "lines": report.lines,
            **{f"net {currency}": float(net) for currency, net in report.net.items()},
            "journal_lines": report.journal_lines,
            "deferred_commission_assets": report.assets,
            "published_at": report.published_at.isoformat(),
        },
    )


def refuse_unless_checked(connection: Warehouse, run_id: str) -> None:
    """CloseRefused unless this run recorded its checks and none of the blocking ones failed."""
    outcomes = load_outcomes(connection, run_id)
    if not outcomes:
        raise CloseRefused("the data-quality checks did not run in this run; nothing published")
    failing = blocking_failures(outcomes)
    if failing:
        raise CloseRefused(f"a blocking check failed: {failing[0].first_line()}")
