"""The pipelines' run drivers and the connectors, imported on first use: the one place the
CLI imports lazily.

Importing them imports Dagster, dagster-dbt and OpenSPM's Definitions (about 3 s), which
``--help``, ``status`` and ``validate --quick`` do not need. Everything else the commands use
is imported at the top of their modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType


@dataclass(frozen=True)
class Drivers:
    """The modules of ``pipelines`` that run jobs in this process."""

    runner: ModuleType  # pipelines.runner: run_job, PipelineError
    close: ModuleType  # pipelines.close: close_month, compute_drafts, explain, CloseError
    validation: ModuleType  # pipelines.validation: check_workspace
    pull: ModuleType  # integrations.pull: pull_sources, configured_systems (the connectors)
    fake_vendors: ModuleType  # integrations.fakes.demo: the connectors demo's fake vendors


@cache
def drivers() -> Drivers:
    """Import the drivers (and with them Dagster) once, when a command first runs a job."""
    from integrations import pull
    from integrations.fakes import demo as fake_vendors
    from pipelines import close, runner, validation

    return Drivers(
        runner=runner, close=close, validation=validation, pull=pull, fake_vendors=fake_vendors
    )
