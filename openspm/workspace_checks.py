"""The checks that read only a workspace's files (``openspm validate --quick``); nothing is written.

Landing data as ingestion would check it, and the compensation configuration with the
employees the landing data delivers. The checks that need the engine's tables run on a scratch
copy of the warehouse (``pipelines.validation``).
"""

from __future__ import annotations

from dataclasses import dataclass

from openspm.comp import ConfigProblem, check_comp_config
from openspm.ingest import Problem, check_landing, delivered_employee_ids
from openspm.workspace import Workspace


@dataclass(frozen=True)
class FileProblems:
    """What the files hold that a run would refuse; empty lists mean the files are valid."""

    landing: list[Problem]
    comp: list[ConfigProblem]

    @property
    def problems(self) -> list[str]:
        return [str(p) for p in self.landing] + [str(p) for p in self.comp]


def check_files(workspace: Workspace) -> FileProblems:
    """Check landing data and compensation configuration; write nothing."""
    return FileProblems(
        landing=check_landing(workspace),
        comp=check_comp_config(workspace, known_employees=delivered_employee_ids(workspace)),
    )
