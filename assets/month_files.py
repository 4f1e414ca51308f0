"""The files of the month a close publishes: staged and gated before, placed after publication.

``staged_month_files`` runs after the dbt step and the blocking checks: it writes the month's
statements, payroll export and the other ``openspm.statements.WRITERS`` into
``out/.staging/<YYYY-MM>/`` from finance plus the month's drafts, and its blocking check reads
them back against the drafted payouts (the publication waits for it). ``month_files`` runs
after the publication committed: it adds the close report and renames the folder into place
(``out/<YYYY-MM>/`` complete or absent), and rebuilds from finance the files of any published
month found without them. docs/statements.md.
"""


from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import duckdb

from assets.dbt_models import openspm_dbt_models
from assets.partitions import MONTHLY_PARTITIONS, SINGLE_RUN
from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from openspm.periods import period_of_partition_key
from openspm.quality import record_outcomes
from openspm.statements import (
    FinanceSource,
    discard_staged,
    rebuild_month_files,
    repair_month_files,
    stage_month_files,
)
from openspm.statements.gate import CHECK_NAME, CHECK_TITLE
from openspm.statements.month_files import add_close_report, place_month_files, staged_run

STAGED_MONTH_FILES = dg.AssetKey(["staged_month_files"])
MONTH_FILES = dg.AssetKey(["month_files"])
PUBLISHED_MONTH = dg.AssetKey(["published_month"])  # assets/publish.py


def _period(context: dg.AssetExecutionContext) -> str:
    keys = context.partition_key_range
    if keys.start != keys.end:
        raise dg.Failure(
            description=f"a close publishes one month; got the range {keys.start}...{keys.end}"
        )
    return period_of_partition_key(keys.end)


@dg.asset(
    key=STAGED_MONTH_FILES,
    group_name="close",
    kinds={"python"},
    deps=list(openspm_dbt_models.keys),
    partitions_def=MONTHLY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    pool=DUCKDB_WRITER_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=STAGED_MONTH_FILES,
            blocking=True,
            description=f"{CHECK_TITLE} (read back from the staged files; blocking)",
        )
    ],
    description=(
        "The month's statements, payroll export and other files written to out/.staging/ "
        "from finance plus the month's drafts, gated against the drafted payouts."
    ),
)
def staged_month_files(
    context: dg.AssetExecutionContext, workspace: WorkspaceResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    period = _period(context)
    ws = workspace.open()
    with duckdb.connect(str(ws.warehouse_path)) as connection:
        source = FinanceSource.staged(
            connection, period, context.run_id, datetime.now(UTC).replace(tzinfo=None)
        )
        result = stage_month_files(ws, source)
        record_outcomes(connection, context.run_id, period, [result])
    if not result.passed:
        context.log.error(result.first_line())
        discard_staged(ws, period)
    yield dg.MaterializeResult(metadata={"period": period, "gate": str(result.status)})
    yield dg.AssetCheckResult(
        asset_key=STAGED_MONTH_FILES,
        check_name=CHECK_NAME,
        passed=result.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"failures": result.total, "first": result.first_line()},
    )


@dg.asset(
    key=MONTH_FILES,
    group_name="close",
    kinds={"python"},
    deps=[PUBLISHED_MONTH],
    partitions_def=MONTHLY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    pool=DUCKDB_WRITER_POOL,
    description=(
        "After the publication: the close report joins the staged files and out/<YYYY-MM>/ is "
        "renamed into place; published months found without their files are rebuilt."
    ),
)
def month_files(
    context: dg.AssetExecutionContext, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    period = _period(context)
    ws = workspace.open()
    if staged_run(ws, period) == context.run_id:
        add_close_report(ws, period, context.run_id)
        folder = place_month_files(ws, period)
    else:  # staged by another run, or lost: the published figures are the truth
        with duckdb.connect(str(ws.warehouse_path), read_only=True) as connection:
            folder = rebuild_month_files(ws, connection, period)
    context.log.info(f"{period}: month files in {folder}")
    rebuilt = repair_month_files(ws, context.log.warning)
    return dg.MaterializeResult(
        metadata={"period": period, "folder": str(folder), "rebuilt": ", ".join(rebuilt)}
    )
