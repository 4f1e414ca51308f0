"""Every check that can run before anything is written: ``openspm validate`` and the comp asset."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.compute as pc

from integrations.file_drop import BatchReadError, list_batches, read_batch
from openspm.comp import ConfigProblem, check_comp_config
from openspm.entities import entity
from openspm.ingest import Problem, check_landing
from openspm.workspace import Workspace

EMPLOYEES = entity("hris/employees")


@dataclass(frozen=True)
class ValidationReport:
    """What ``openspm validate`` found; empty lists mean the workspace is valid."""

    landing: list[Problem]
    comp: list[ConfigProblem]

    @property
    def problems(self) -> list[str]:
        return [str(p) for p in self.landing] + [str(p) for p in self.comp]


def landing_employee_ids(workspace: Workspace) -> set[str] | None:
    """Employee ids delivered in the landing hris/employees batches (None if none can be read)."""
    folder = workspace.entity_dir(EMPLOYEES.system, EMPLOYEES.name)
    ids: set[str] = set()
    for batch in list_batches(folder, EMPLOYEES.folder).batches:
        try:
            table = read_batch(batch)
        except BatchReadError:
            continue  # reported by check_landing
        if "employee_id" in table.column_names:
            values = pc.utf8_trim_whitespace(table["employee_id"]).to_pylist()
            ids.update(v for v in values if v)
    return ids or None


def validate_workspace(workspace: Workspace) -> ValidationReport:
    """Check landing data and compensation configuration; write nothing."""
    return ValidationReport(
        landing=check_landing(workspace),
        comp=check_comp_config(workspace, known_employees=landing_employee_ids(workspace)),
    )


@dataclass(frozen=True)
class CheckedWorkspace:
    """What ``openspm validate`` found by running every check on a scratch warehouse."""

    period: str | None
    outcomes: list  # list[openspm.quality.CheckOutcome]
    failure: str | None  # the run's one-line cause when it stopped before its checks
    report: Path | None

    @property
    def blocking(self) -> list:
        return [o for o in self.outcomes if o.blocks]


def check_workspace(
    workspace: Workspace, *, report_dir: Path | None = None, quiet: bool = True
) -> CheckedWorkspace:
    """Run the drafts pipeline, with every check, on a scratch copy of the warehouse.

    The workspace's own warehouse and folders are not changed (``report_dir``, when given,
    receives the report). The month checked is the latest month with drafts.
    """
    from openspm.close_report import write_close_report
    from openspm.quality import load_outcomes
    from openspm.quality.report import VALIDATED
    from openspm.runner import PipelineError, run_job

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
        for sql, params in (
            ("select max(period) from quality.check_results where run_id = ?", [run_id]),
            ("select max(period) from marts.fct_payouts", []),
        ):
            try:
                row = connection.execute(sql, params).fetchone()
            except duckdb.Error:
                continue
            if row and row[0]:
                return str(row[0])
    return None
