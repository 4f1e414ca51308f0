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
from functools import cache

import dagster as dg

from assets.dbt_models import build_dbt_assets
from assets.partitions import SINGLE_RUN, monthly_partitions
from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource
from openspm.periods import period_of_partition_key
from openspm.publish import FINANCE_SCHEMA
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
from openspm.warehouse import connect

STAGED_MONTH_FILES = dg.AssetKey(["staged_month_files"])
MONTH_FILES = dg.AssetKey(["month_files"])
# written last by the publication (assets/publish.py), in the month's one transaction
PUBLISHED_CLOSES = dg.AssetKey([FINANCE_SCHEMA, "closes"])


def _period(context: dg.AssetExecutionContext) -> str:
    keys = context.partition_key_range
    if keys.start != keys.end:
        raise dg.Failure(
            description=f"a close publishes one month; got the range {keys.start}...{keys.end}"
        )
    return period_of_partition_key(keys.end)


@cache
def build_month_file_assets(first_month: str) -> tuple[dg.AssetsDefinition, ...]:
    """The two steps, with the monthly partitions that start at ``first_month``."""
    partitions = monthly_partitions(first_month)
    staged = dg.asset(
        key=STAGED_MONTH_FILES,
        group_name="close",
        kinds={"python"},
        deps=list(build_dbt_assets(first_month).keys),
        partitions_def=partitions,
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
    )(staged_month_files)
    placed = dg.asset(
        key=MONTH_FILES,
        group_name="close",
        kinds={"python"},
        deps=[PUBLISHED_CLOSES],
        partitions_def=partitions,
        backfill_policy=SINGLE_RUN,
        pool=DUCKDB_WRITER_POOL,
        description=(
            "After the publication: the close report joins the staged files and "
            "out/<YYYY-MM>/ is renamed into place; published months found without their "
            "files are rebuilt."
        ),
    )(month_files)
    return staged, placed


def staged_month_files(
    context: dg.AssetExecutionContext, workspace: WorkspaceResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Write the month's files into out/.staging/ and gate their totals (blocking check)."""
    period = _period(context)
    ws = workspace.open()
    with connect(ws) as connection:
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


def month_files(
    context: dg.AssetExecutionContext, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    """Put the published month's files in place (or rebuild them from finance)."""
    period = _period(context)
    ws = workspace.open()
    if staged_run(ws, period) == context.run_id:
        add_close_report(ws, period, context.run_id)
        folder = place_month_files(ws, period)
    else:  # staged by another run, or lost: the published figures are the truth
        with connect(ws, read_only=True) as connection:
            folder = rebuild_month_files(ws, connection, period)
    context.log.info(f"{period}: month files in {folder}")
    rebuilt = repair_month_files(ws, context.log.warning)
    return dg.MaterializeResult(
        metadata={"period": period, "folder": str(folder), "rebuilt": ", ".join(rebuilt)}
    )
