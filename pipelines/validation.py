"""``openspm validate``: every check of a close, run on a scratch copy of the warehouse.

The drafts pipeline runs with every check against a copy of the workspace's warehouse, so the
workspace's own warehouse and folders are not changed; the month checked is the one the run's
checks looked at (else the latest month with drafts).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from openspm.close_report import write_close_report
from openspm.publish import latest_drafted_period
from openspm.quality import CheckOutcome, load_outcomes
from openspm.quality.report import VALIDATED
from openspm.workspace import Workspace
from pipelines.runner import PipelineError, run_job


@dataclass(frozen=True)
class CheckedWorkspace:
    """What ``openspm validate`` found by running every check on a scratch warehouse."""

    period: str | None
    outcomes: list[CheckOutcome]
    failure: str | None  # the run's one-line cause when it stopped before its checks
    report: Path | None

    @property
    def blocking(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.blocks]


def check_workspace(
    workspace: Workspace, *, report_dir: Path | None = None, quiet: bool = True
) -> CheckedWorkspace:
    """Run the drafts pipeline, with every check, on a scratch copy of the warehouse.

    ``report_dir``, when given, receives the report (Markdown and HTML).
    """
    with tempfile.TemporaryDirectory(prefix="openspm-validate-") as scratch:
        copy = Path(scratch) / "warehouse.duckdb"
        source = workspace.warehouse_path
        for suffix in ("", ".wal"):
            original = source.with_name(source.name + suffix)
            if original.exists():
                shutil.copy2(original, copy.with_name(copy.name + suffix))
        scratch_ws = Workspace(workspace.root, warehouse_override=copy)
        failure = None
        try:
            run_id = run_job("pipeline_job", scratch_ws, quiet=quiet).run_id
        except PipelineError as exc:
            run_id, failure = exc.run_id, str(exc)
        period = _checked_period(copy, run_id)
        if period is None:
            return CheckedWorkspace(None, [], failure or "no month was checked", None)
        if report_dir is not None:
            files = write_close_report(scratch_ws, period, run_id, VALIDATED, None, report_dir)
            return CheckedWorkspace(period, files.outcomes, failure, files.html)
        with duckdb.connect(str(copy), read_only=True) as connection:
            outcomes = load_outcomes(connection, run_id) if run_id else []
        return CheckedWorkspace(period, outcomes, failure, None)


def _checked_period(warehouse: Path, run_id: str | None) -> str | None:
    """The month the run's checks looked at (else the latest drafted month)."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        try:
            row = connection.execute(
                "select max(period) from quality.check_results where run_id = ?", [run_id]
            ).fetchone()
        except duckdb.Error:
            row = None
        if row and row[0]:
            return str(row[0])
        return latest_drafted_period(connection)
