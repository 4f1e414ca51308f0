"""Every check that can run before anything is written: ``openspm validate`` and the comp asset."""

from __future__ import annotations

from dataclasses import dataclass

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
