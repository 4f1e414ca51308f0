"""The monthly close and draft runs, as the CLI drives them (docs/close.md).

Every function here holds the workspace lock, runs the Dagster jobs of
``pipelines.definitions`` through ``pipelines.runner`` (one code path with the UI), records
the attempt for ``openspm status`` when a run was attempted, and turns any failure into a
``CloseError`` whose message is one line. A request refused before anything runs (the month
is closed, an earlier month is open, the month is before first_period) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openspm.close_report import ReportFiles, write_close_report
from openspm.lock import workspace_lock
from openspm.money import format_totals
from openspm.periods import PeriodError, first_period, partition_key, period_range
from openspm.publish import closed_periods, refusal
from openspm.quality import blocking_failures, load_outcomes
from openspm.quality.report import NOT_PUBLISHED
from openspm.statements import month_dir
from openspm.status import record_attempt
from openspm.totals import net_by_currency
from openspm.warehouse import DATABASE_ERRORS, WarehouseError, connect, exists, read_only
from openspm.workspace import Workspace
from pipelines.run_log import Listener
from pipelines.runner import PipelineError, RunSummary, run_job

Progress = Callable[[str], None]


class CloseError(RuntimeError):
    """A close or draft run was refused or failed; the message is the cause, in one line."""

    def __init__(self, message: str, log_path: Path | None = None) -> None:
        super().__init__(message)
        self.log_path = log_path


@dataclass(frozen=True)
class CloseResult:
    period: str
    run_id: str
    seconds: float
    payouts: int
    lines: int
    net: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> net payouts
    report: Path | None = None

    def __str__(self) -> str:
        text = (
            f"{self.period} closed: {self.payouts} payouts, {self.lines} lines; net "
            f"{format_totals(self.net)} (run {self.run_id}, {self.seconds:.1f} s)"
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
    if not periods or run_id is None or not exists(ws):
        return
    try:
        with connect(ws) as connection:
            record_attempt(connection, periods, kind, run_id, ok, message)
    except DATABASE_ERRORS as exc:
        if warn is not None:
            warn(f"attempt not recorded: {exc}")


def explain(ws: Workspace, error: PipelineError) -> str:
    """A failed run's cause: its first failing blocking check when one was recorded."""
    if error.run_id is None:
        return str(error)
    try:
        with read_only(ws) as connection:
            outcomes = load_outcomes(connection, error.run_id) if connection is not None else []
    except (*DATABASE_ERRORS, WarehouseError):
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
    partition: str | None = None,
    partition_range: tuple[str, str] | None = None,
    warn: Progress | None = None,
    tags: dict[str, str] | None = None,
    listener: Listener | None = None,
) -> RunSummary:
    """Run pipeline_job (one partition, or a range as one run) and record it for ``months``."""
    last = partition_range[1] if partition_range else partition
    with workspace_lock(ws.root, f"drafts through {last[:7]}" if last else "drafts"):
        try:
            summary = run_job(
                "pipeline_job",
                ws,
                partition_key=partition,
                partition_range=partition_range,
                tags=tags,
                listener=listener,
            )
        except PipelineError as exc:
            cause = explain(ws, exc)
            record(ws, months, "run", exc.run_id, False, cause, warn)
            raise CloseError(cause, exc.log_path) from None
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
    warn: Progress | None = None,
    listener: Listener | None = None,
) -> CloseResult:
    """Compute, check and publish ``month`` with close_job; CloseError when refused or failed."""
    with workspace_lock(ws.root, f"close of {month}"):
        try:
            first = first_period(ws)
            why = close_refusal(ws, month, first)
        except (PeriodError, WarehouseError) as exc:
            raise CloseError(str(exc)) from None
        if why:
            raise CloseError(why)  # a refused request changes nothing
        try:
            summary = run_job(
                "close_job", ws, partition_key=partition_key(month), listener=listener
            )
        except PipelineError as exc:
            if exc.run_id is None:  # refused before a run started (a month Dagster lacks)
                raise CloseError(str(exc), exc.log_path) from None
            cause = str(exc)
            report = _report(ws, month, exc.run_id, NOT_PUBLISHED, warn)
            if report is not None and report.first_blocking is not None:
                cause = f"{month} not published: {report.first_blocking.first_line()}"
            if report is not None:
                cause += f" (close report: {report.markdown})"
            record(ws, [month], "close", exc.run_id, False, cause, warn)
            raise CloseError(cause, exc.log_path) from None
        with read_only(ws) as connection:
            assert connection is not None  # the run just wrote it
            payouts, lines = connection.execute(
                "select payouts, lines from finance.closes where period = ?", [month]
            ).fetchone()  # type: ignore[misc]
            net = net_by_currency(connection, month)
        # the close job's month_files step wrote the close report with the month's files
        report = month_dir(ws, month) / "close-report.md"
    return CloseResult(
        month,
        summary.run_id,
        summary.seconds,
        payouts,
        lines,
        net,
        report if report.is_file() else None,
    )


def months_to_close(ws: Workspace, through: str) -> list[str]:
    """The months ``close --through`` would close, in order: every open month up to ``through``."""
    try:
        first = first_period(ws)
        with read_only(ws) as connection:
            closed = closed_periods(connection)
    except (PeriodError, WarehouseError) as exc:
        raise CloseError(str(exc)) from None
    if through < first:
        raise CloseError(f"--through {through} is before first_period {first}; nothing to close")
    return [m for m in period_range(first, through) if m not in closed]


def close_through(
    ws: Workspace,
    through: str,
    *,
    warn: Progress | None = None,
    listener: Callable[[str], Listener | None] | None = None,
    closed: Callable[[CloseResult], None] | None = None,
) -> list[CloseResult]:
    """Close every open month up to ``through`` in order; stop at the first that fails.

    ``listener(month)`` gives each month's run listener; ``closed`` hears of each month closed.
    The CloseError of a failed month says which months were closed before it.
    """
    with workspace_lock(ws.root, f"close through {through}"):
        results: list[CloseResult] = []
        for month in months_to_close(ws, through):
            try:
                result = close_month(
                    ws, month, warn=warn, listener=listener(month) if listener else None
                )
            except CloseError as exc:
                done = (
                    f"closed {len(results)} month(s), {results[0].period} to "
                    f"{results[-1].period}; "
                    if results
                    else ""
                )
                raise CloseError(f"{done}{month} stopped the close: {exc}", exc.log_path) from None
            results.append(result)
            if closed is not None:
                closed(result)
    return results


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

