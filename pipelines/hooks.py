"""Hooks of the close job: a failed close writes its close report, however it was launched.

The CLI and the Dagster UI or schedule run the same ``close_job``; when one of its steps fails
and the month was not published, this hook writes ``out/<YYYY-MM>/close-report.{md,html}``
(status not published) and drops the month's staged files: a failed close leaves only its close
report (docs/statements.md). A month that was published keeps its files: a step failing after
the publication is repaired from finance by the next command.
"""

from __future__ import annotations

import dagster as dg

from openspm.close_report import write_close_report
from openspm.periods import period_of_partition_key
from openspm.publish import closed_periods
from openspm.quality.report import NOT_PUBLISHED
from openspm.statements import discard_staged
from openspm.warehouse import DATABASE_ERRORS, WarehouseError, read_only


@dg.failure_hook(name="close_failure_report", required_resource_keys={"workspace"})
def close_failure_report(context: dg.HookContext) -> None:
    run = context.instance.get_run_by_id(context.run_id)
    key = run.tags.get("dagster/partition") if run is not None else None
    if not key:
        return
    period = period_of_partition_key(key)
    ws = context.resources.workspace.open()
    try:
        with read_only(ws) as connection:
            if period in closed_periods(connection):
                return
    except (WarehouseError, *DATABASE_ERRORS) as exc:
        context.log.warning(f"close report of {period}: warehouse not readable: {exc}")
    discard_staged(ws, period)
    try:
        files = write_close_report(ws, period, context.run_id, NOT_PUBLISHED, None)
    except Exception as exc:  # the report is a courtesy; the run failed for its own cause
        context.log.warning(f"close report of {period} not written: {type(exc).__name__}: {exc}")
        return
    context.log.info(f"{period} not published; close report: {files.markdown}")
