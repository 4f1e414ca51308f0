"""The compensation configuration of a workspace (docs/contract.md section 3).

``comp/plans/*.yaml`` (plans), ``comp/plan_assignments.csv``, ``comp/quotas.csv`` and the
optional ``comp/adjustments.csv`` are read into typed, validated objects::

    config = load_comp_config(workspace, known_employees={"E001", ...})  # or CompConfigError
    problems = check_comp_config(workspace)  # never raises for content problems
    write_comp_tables(config, connection)  # the comp.* warehouse tables, in one transaction
"""

from typing import Any

from openspm.comp.load import write_comp_tables
from openspm.comp.periods import (
    QuotaPeriod,
    QuotaPeriodKind,
    quota_period_containing,
    quota_periods,
)
from openspm.comp.plans import (
    Clawback,
    Component,
    Draw,
    FlatRates,
    Plan,
    Spiff,
    Tier,
    TieredRates,
    read_plan_file,
    read_plan_text,
)
from openspm.comp.problems import CompConfigError, ConfigProblem
from openspm.comp.tables import Adjustment, PlanAssignment, Quota
from openspm.comp.validate import CompConfig, check_comp_config, load_comp_config


def __getattr__(name: str) -> Any:
    # imported lazily so that ``python -m openspm.comp.schema`` runs the module cleanly
    if name == "plan_json_schema":
        from openspm.comp.schema import plan_json_schema

        return plan_json_schema
    raise AttributeError(f"module 'openspm.comp' has no attribute {name!r}")


__all__ = [
    "Adjustment",
    "Clawback",
    "CompConfig",
    "CompConfigError",
    "Component",
    "ConfigProblem",
    "Draw",
    "FlatRates",
    "Plan",
    "PlanAssignment",
    "Quota",
    "QuotaPeriod",
    "QuotaPeriodKind",
    "Spiff",
    "Tier",
    "TieredRates",
    "check_comp_config",
    "load_comp_config",
    "plan_json_schema",
    "quota_period_containing",
    "quota_periods",
    "read_plan_file",
    "read_plan_text",
    "write_comp_tables",
]
