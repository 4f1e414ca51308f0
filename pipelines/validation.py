"""``openspm validate``: every check of the next close, run on a scratch copy of the warehouse.

The drafts pipeline runs with every check, through the month a close would publish next,
against a copy of the workspace's warehouse kept in ``.openspm/validate/`` (a fixed place, so
dbt's partial parsing serves the next validation too). The workspace's own warehouse, landing
and comp folders and its ``out/`` are not changed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openspm.close_report import write_close_report
from openspm.lock import workspace_lock
from openspm.periods import first_period, next_period, partition_key, period_of, period_range
from openspm.publish import closed_periods, latest_drafted_period
from openspm.quality import CheckOutcome, load_outcomes
from openspm.quality.report import VALIDATED
from openspm.warehouse import DATABASE_ERRORS, connect, read_only
from openspm.workspace import Workspace
from pipelines.run_log import Listener
from pipelines.runner import PipelineError, run_job

SCRATCH_DIR = "validate"


class ValidationUnavailable(RuntimeError):
    """The full validation needs a scratch copy, which only a DuckDB warehouse file allows."""


@dataclass(frozen=True)
class CheckedWorkspace:
    """What ``openspm validate`` found by running every check on a scratch warehouse."""

    period: str | None  # the month checked: the one a close would publish next
    outcomes: list[CheckOutcome]
    failure: str | None  # the run's one-line cause when it stopped before its checks
    report: Path | None
    log_path: Path | None = None

    @property
    def blocking(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.blocks]


def next_month_to_close(workspace: Workspace, today: str) -> str:
    """The first month from first_period that is not closed (``today``: the current month)."""
    first = first_period(workspace)
    with read_only(workspace) as connection:
        closed = closed_periods(connection)
    last = max([*closed, first, today])
    return next(m for m in period_range(first, next_period(last)) if m not in closed)


def check_workspace(
    workspace: Workspace,
    *,
    report_dir: Path | None = None,
    listener: Listener | None = None,
    today: str | None = None,
) -> CheckedWorkspace:
    """Run the drafts pipeline, with every check, on a scratch copy of the warehouse.

    ``report_dir``, when given, receives the report (Markdown and HTML).
    """
    current = today or period_of(date.today())
    if workspace.engine != "duckdb":
        raise ValidationUnavailable(
            f"openspm validate runs every check on a scratch copy of a DuckDB warehouse; this "
            f"workspace's warehouse is a {workspace.engine} server: use `openspm validate "
            "--quick`, or `openspm run` (drafts only: nothing is published)"
        )
    with workspace_lock(workspace.root, "validate"):
        month = next_month_to_close(workspace, current)
        scratch = workspace.root / ".openspm" / SCRATCH_DIR
        scratch.mkdir(parents=True, exist_ok=True)
        copy = scratch / "warehouse.duckdb"
        source = workspace.warehouse_path
        for suffix in ("", ".wal"):
            original = source.with_name(source.name + suffix)
            target = copy.with_name(copy.name + suffix)
            target.unlink(missing_ok=True)
            if original.exists():
                shutil.copy2(original, target)
        scratch_ws = Workspace(workspace.root, warehouse_override=copy)
        failure, log_path = None, None
        key = partition_key(month) if month <= current else None
        try:
            summary = run_job("pipeline_job", scratch_ws, partition_key=key, listener=listener)
            run_id, log_path = summary.run_id, summary.log_path
        except PipelineError as exc:
            run_id, failure, log_path = exc.run_id, str(exc), exc.log_path
        period = _checked_period(scratch_ws, run_id) or month
        if run_id is None:
            return CheckedWorkspace(period, [], failure or "no month was checked", None, log_path)
        if report_dir is not None:
            files = write_close_report(scratch_ws, period, run_id, VALIDATED, None, report_dir)
            return CheckedWorkspace(period, files.outcomes, failure, files.html, log_path)
        with connect(scratch_ws, read_only=True) as connection:
            outcomes = load_outcomes(connection, run_id)
        return CheckedWorkspace(period, outcomes, failure, None, log_path)


def _checked_period(scratch: Workspace, run_id: str | None) -> str | None:
    """The month the run's checks looked at (else the latest drafted month)."""
    if not scratch.warehouse_path.exists():
        return None
    with connect(scratch, read_only=True) as connection:
        try:
            row = connection.execute(
                "select max(period) from quality.check_results where run_id = ?", [run_id]
            ).fetchone()
        except DATABASE_ERRORS:
            row = None
        if row and row[0]:
            return str(row[0])
        return latest_drafted_period(connection)
