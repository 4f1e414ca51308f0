"""The monthly close and draft runs, as the CLI drives them (docs/close.md).

Every function here runs the Dagster jobs of ``pipelines.definitions`` through
``pipelines.runner`` (one code path with the UI), records the attempt for ``openspm status``,
and turns any failure into a ``CloseError`` whose message is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from openspm.accounting.files import write_accounting_files
from openspm.close_report import ReportFiles, write_close_report
from openspm.periods import PeriodError, first_period, partition_key
from openspm.publish import refusal
from openspm.quality import blocking_failures, load_outcomes
from openspm.quality.report import NOT_PUBLISHED, PUBLISHED
from openspm.status import record_attempt
from openspm.warehouse import WarehouseError, read_only
from openspm.workspace import Workspace
from pipelines.runner import PipelineError, RunSummary, run_job

Progress = Callable[[str], None]


class CloseError(RuntimeError):
    """A close or draft run was refused or failed; the message is the cause, in one line."""


@dataclass(frozen=True)
class CloseResult:
    period: str
    run_id: str
    seconds: float
    payouts: int
    lines: int
    net_total: Decimal
    report: Path | None = None

    def __str__(self) -> str:
        text = (
            f"{self.period} closed: {self.payouts} payouts, {self.lines} lines, net total "
            f"{self.net_total} (run {self.run_id}, {self.seconds:.1f} s)"
        )
        return text + (f"; close report: {self.report}" if self.report else "")


def record(
    ws: Workspace,
    periods: list[str],
    kind: str,
    run_id: str | None,
    ok: bool,
    message: str | None,
    warn: Progress | None = None,
) -> None:
    """Note the attempt in ops.close_attempts (best effort: ``openspm status`` reads it)."""
    if not periods or run_id is None or not ws.warehouse_path.exists():
        return
    try:
        with duckdb.connect(str(ws.warehouse_path)) as connection:
            record_attempt(connection, periods, kind, run_id, ok, message)
    except duckdb.Error as exc:
        if warn is not None:
            warn(f"attempt not recorded: {exc}")


def explain(ws: Workspace, error: PipelineError) -> str:
    """A failed run's cause: its first failing blocking check when one was recorded."""
    if error.run_id is None:
        return str(error)
    try:
        with read_only(ws) as connection:
            outcomes = load_outcomes(connection, error.run_id) if connection is not None else []
    except (duckdb.Error, WarehouseError):
        return str(error)
    failing = [o for o in blocking_failures(outcomes) if o.failed]
    if not failing:
        return str(error)
    more = f" (+{len(failing) - 1} more failing check(s))" if len(failing) > 1 else ""
    return f"a blocking check failed: {failing[0].first_line()}{more}"


def compute_drafts(
    ws: Workspace,
    *,
    months: list[str],
    quiet: bool = False,
    partition: str | None = None,
    partition_range: tuple[str, str] | None = None,
    warn: Progress | None = None,
    tags: dict[str, str] | None = None,
) -> RunSummary:
    """Run pipeline_job (one partition, or a range as one run) and record it for ``months``."""
    try:
        summary = run_job(
            "pipeline_job",
            ws,
            quiet=quiet,
            partition_key=partition,
            partition_range=partition_range,
            tags=tags,
        )
    except PipelineError as exc:
        cause = explain(ws, exc)
        record(ws, months, "run", exc.run_id, False, cause, warn)
        raise CloseError(cause) from None
    record(ws, months, "run", summary.run_id, True, "drafts computed", warn)
    return summary


def close_refusal(ws: Workspace, month: str, first: str) -> str | None:
    """Why ``month`` cannot be closed now, read before any work starts (None: it can)."""
    with read_only(ws) as connection:
        return refusal(connection, month, first)


def close_month(
    ws: Workspace,
    month: str,
    *,
    quiet: bool = False,
    progress: Progress | None = None,
    warn: Progress | None = None,
) -> CloseResult:
    """Compute, check and publish ``month`` with close_job; CloseError when refused or failed."""
    try:
        first = first_period(ws)
        why = close_refusal(ws, month, first)
    except (PeriodError, WarehouseError) as exc:
        raise CloseError(str(exc)) from None
    if why:
        if "already closed" not in why:
            record(ws, [month], "close", "refused-before-run", False, why, warn)
        raise CloseError(why)
    if progress is not None:
        progress(f"closing {month}: ingest, comp tables, dbt build, checks, publish")
    try:
        summary = run_job("close_job", ws, quiet=quiet, partition_key=partition_key(month))
    except PipelineError as exc:
        cause = str(exc)
        report = _report(ws, month, exc.run_id, NOT_PUBLISHED, warn)
        if report is not None and report.first_blocking is not None:
            cause = f"{month} not published: {report.first_blocking.first_line()}"
        if report is not None:
            cause += f" (close report: {report.markdown})"
        record(ws, [month], "close", exc.run_id, False, cause, warn)
        raise CloseError(cause) from None
    with read_only(ws) as connection:
        assert connection is not None  # the run just wrote it
        payouts, lines, net_total = connection.execute(
            "select payouts, lines, net_total from finance.closes where period = ?", [month]
        ).fetchone()  # type: ignore[misc]
    _accounting_files(ws, month, warn)
    report = _report(ws, month, summary.run_id, PUBLISHED, warn)
    return CloseResult(
        month,
        summary.run_id,
        summary.seconds,
        payouts,
        lines,
        net_total,
        report.markdown if report is not None else None,
    )


def _report(
    ws: Workspace,
    month: str,
    run_id: str | None,
    status: str,
    warn: Progress | None,
) -> ReportFiles | None:
    """Write the month's close report; a failure to write it is a warning, never the cause."""
    try:
        return write_close_report(ws, month, run_id, status, None)
    except Exception as exc:
        if warn is not None:
            warn(f"close report not written: {type(exc).__name__}: {exc}")
        return None


def _accounting_files(ws: Workspace, month: str, warn: Progress | None) -> None:
    """The published month's journal entries and roll-forward CSVs (rebuilt from finance.*)."""
    try:
        with read_only(ws) as connection:
            if connection is not None:
                write_accounting_files(connection, month, ws.out_dir / month)
    except Exception as exc:
        if warn is not None:
            warn(f"accounting files not written: {type(exc).__name__}: {exc}")
