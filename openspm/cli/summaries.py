"""The summary a command ends with: what changed, totals per currency, where the files are."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from openspm.money import format_totals
from openspm.publish import latest_drafted_period
from openspm.totals import net_by_currency
from openspm.warehouse import WarehouseError, describe, read_only
from openspm.workspace import Workspace

if TYPE_CHECKING:
    from pipelines.runner import RunSummary

INGEST_FIELDS = (
    "batches_loaded",
    "rows_loaded",
    "rows_quarantined",
    "batches_skipped",
    "batches_rejected",
)


def ingest_line(materialized: Mapping[str, Mapping[str, Any]]) -> str | None:
    """``ingest: 3 batch(es) loaded (120 rows, 0 quarantined), 40 already loaded``."""
    reports = [meta for key, meta in materialized.items() if key.startswith("raw/")]
    if not reports:
        return None
    total = {f: sum(int(r.get(f, 0) or 0) for r in reports) for f in INGEST_FIELDS}
    text = (
        f"ingest: {total['batches_loaded']} batch(es) loaded ({total['rows_loaded']:,} rows, "
        f"{total['rows_quarantined']:,} quarantined), {total['batches_skipped']} already loaded"
    )
    if total["batches_rejected"]:
        text += f", {total['batches_rejected']} rejected (see raw.ingest_quarantine)"
    return text


def drafts_net(ws: Workspace, month: str | None = None) -> tuple[str | None, dict[str, Decimal]]:
    """The drafted month (``month``, else the latest) and its net payouts per currency."""
    try:
        with read_only(ws) as connection:
            if connection is None:
                return None, {}
            period = month or latest_drafted_period(connection)
            return period, net_by_currency(connection, period, "marts") if period else {}
    except WarehouseError:
        return None, {}


def run_summary(ws: Workspace, summary: RunSummary, month: str | None = None) -> str:
    """What a run changed, the drafts' totals per currency, and where its files are."""
    lines = []
    ingested = ingest_line(summary.materialized)
    if ingested:
        lines.append(ingested)
    models = [
        k for k in summary.materialized if not k.startswith(("raw/", "comp/", "finance/"))
    ]
    if models:
        period, net = drafts_net(ws, month)
        lines.append(
            f"dbt build: {len(models)} models, {summary.checks} checks; drafts of {period}: "
            f"net {format_totals(net)}"
        )
    lines.append(
        f"{summary.job_name} done in {summary.seconds:.1f} s (run {summary.run_id[:8]}); "
        f"warehouse: {describe(ws)}; log: {summary.log_path}"
    )
    return "\n".join(lines)
