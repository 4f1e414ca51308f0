"""The gated publication of a month: a separate asset downstream of every dbt model.

dbt writes a model before its tests run, so the drafts in ``marts`` are never what finance
reads. This asset runs only when the dbt step (models, error-severity tests) succeeded and no
blocking data-quality check failed (Dagster skips it otherwise); it reads the run's recorded
check outcomes again before it copies the month's drafts into ``finance.*`` in one transaction.
"""

import dagster as dg
import duckdb

from assets.dbt_models import openspm_dbt_models
from assets.partitions import MONTHLY_PARTITIONS, SINGLE_RUN
from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from openspm.periods import first_period, period_of_partition_key
from openspm.publish import CloseRefused, ensure_finance_tables, publish_period
from openspm.quality import blocking_failures, load_outcomes
from openspm.status import record_attempt

PUBLISHED_MONTH = dg.AssetKey(["published_month"])


@dg.asset(
    key=PUBLISHED_MONTH,
    group_name="close",
    kinds={"duckdb", "python"},
    deps=list(openspm_dbt_models.keys),
    partitions_def=MONTHLY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    pool=DUCKDB_WRITER_POOL,
    description=(
        "The month's payouts, payout lines, attainment, credits and accounting (journal "
        "entries, deferred commissions) published into finance.* with a finance.closes row, "
        "in one transaction; refused when the month is closed, an "
        "earlier month is open, no drafts exist or a reconciliation fails."
    ),
)
def published_month(
    context: dg.AssetExecutionContext, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    keys = context.partition_key_range
    if keys.start != keys.end:
        raise dg.Failure(
            description=f"a close publishes one month; got the range {keys.start}...{keys.end}"
        )
    period = period_of_partition_key(keys.end)
    ws = workspace.open()
    connection = duckdb.connect(str(ws.warehouse_path))
    try:
        ensure_finance_tables(connection)  # finance reads them even before a first close
        first = first_period(ws, connection)
        try:
            refuse_unless_checked(connection, context.run_id)
            report = publish_period(connection, period, context.run_id, first_period=first)
        except CloseRefused as exc:
            record_attempt(connection, period, "close", context.run_id, False, str(exc))
            raise dg.Failure(description=str(exc)) from None
        record_attempt(connection, period, "close", context.run_id, True, str(report))
    finally:
        connection.close()
    context.log.info(str(report))
    return dg.MaterializeResult(
        metadata={
            "period": period,
            "payouts": report.payouts,
            "lines": report.lines,
            "attainment": report.attainment,
            "credits": report.credits,
            "net_total": float(report.net_total),
            "journal_lines": report.journal_lines,
            "deferred_commission_assets": report.assets,
            "published_at": report.published_at.isoformat(),
        }
    )


def refuse_unless_checked(connection: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """CloseRefused unless this run recorded its checks and none of the blocking ones failed."""
    outcomes = load_outcomes(connection, run_id)
    if not outcomes:
        raise CloseRefused("the data-quality checks did not run in this run; nothing published")
    failing = blocking_failures(outcomes)
    if failing:
        raise CloseRefused(f"a blocking check failed: {failing[0].first_line()}")
