"""The data-quality gates outside dbt (docs/contract.md section 6) as Dagster asset checks.

One step runs every check of ``openspm.quality.CHECKS`` once, after the dbt build, records
the outcomes in ``quality.*`` for the close report, and reports them as asset checks:
blocking ones (severity ERROR, ``blocking=True``: the publication is not materialized when
one fails) and warnings (severity WARN). The landing checks look at every landing entity;
each staging table shows the part of their findings that concerns its own landing folder.
dbt's own tests are asset checks too (dagster-dbt), and the dbt step records them likewise.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg

from assets.resources import DUCKDB_WRITER_POOL, WorkspaceResource, duckdb_memory_limit
from assets.run_tags import through_period
from openspm.entities import ENTITIES, Entity
from openspm.periods import period_of
from openspm.publish import latest_drafted_period
from openspm.quality import CHECKS, Check, CheckOutcome, record_outcomes, run_checks
from openspm.quality.findings import Severity, Status
from openspm.warehouse import Warehouse, connect

LANDING = "landing"
ERROR = dg.AssetCheckSeverity.ERROR
MAX_LISTED_IN_UI = 10  # findings shown in a check's metadata; the close report has them all


def staging_asset(ent: Entity) -> dg.AssetKey:
    return dg.AssetKey([f"stg_{ent.system}__{ent.name}"])


def _spec(check: Check, asset: dg.AssetKey, what: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=check.name,
        asset=asset,
        blocking=check.blocking,
        description=f"{check.title} ({what}; {check.severity})",
    )


def check_specs() -> list[dg.AssetCheckSpec]:
    """One spec per check and checked table (landing checks: one per staging table)."""
    specs = []
    for check in CHECKS:
        if check.layer == LANDING:
            specs += [_spec(check, staging_asset(e), f"landing/{e.folder}") for e in ENTITIES]
        else:
            specs.append(_spec(check, dg.AssetKey([check.asset]), check.table))
    return specs


def run_period(
    context: dg.AssetCheckExecutionContext, connection: Warehouse
) -> str:
    """The month of the run (its partition, or a range's last), else the latest drafted month."""
    return (
        through_period(context.run.tags)
        or latest_drafted_period(connection)
        or period_of(date.today())
    )


def _result(asset: dg.AssetKey, outcome: CheckOutcome, entity: Entity | None = None):
    findings = outcome.findings
    if entity is not None:  # the part of a landing check about this entity's folder
        findings = [f for f in findings if f.where.startswith(f"{entity.folder}/")]
        complete = len(outcome.findings) == outcome.total  # else some were not listed
        passed = outcome.status == Status.PASSED or (
            outcome.status == Status.FAILED and not findings and complete
        )
        total = len(findings)
    else:
        passed = outcome.status == Status.PASSED
        total = outcome.total
    metadata: dict[str, object] = {"status": str(outcome.status), "failures": total}
    if findings:
        metadata["first failures"] = dg.MetadataValue.md(
            "\n".join(f"- {f}" for f in findings[:MAX_LISTED_IN_UI])
        )
    if outcome.detail:
        metadata["detail"] = outcome.detail
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=outcome.name,
        passed=passed,
        severity=ERROR if outcome.severity == Severity.BLOCKING else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


@dg.multi_asset_check(
    name="data_quality_checks",
    specs=check_specs(),
    pool=DUCKDB_WRITER_POOL,
    description="Landing, staging and reconciliation checks (GX suites, SQL) of the run's month.",
)
def data_quality_checks(
    context: dg.AssetCheckExecutionContext, workspace: WorkspaceResource
) -> Iterator[dg.AssetCheckResult]:
    ws = workspace.open()
    with connect(ws) as connection:
        if connection.engine == "duckdb":  # else 80% of RAM
            connection.execute(f"SET memory_limit = '{duckdb_memory_limit()}'")
        period = run_period(context, connection)
        outcomes = run_checks(connection, period, accounting=ws.settings.accounting.enabled)
        record_outcomes(connection, context.run.run_id, period, outcomes)
    by_name = {o.name: o for o in outcomes}
    for check in CHECKS:
        outcome = by_name[check.name]
        if not outcome.passed:
            context.log.warning(outcome.first_line())
        if check.layer == LANDING:
            for ent in ENTITIES:
                yield _result(staging_asset(ent), outcome, ent)
        else:
            yield _result(dg.AssetKey([check.asset]), outcome)
