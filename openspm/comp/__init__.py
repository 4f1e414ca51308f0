"""The compensation configuration of a workspace (docs/contract.md section 3).

``comp/plans/*.yaml`` (plans), ``comp/plan_assignments.csv``, ``comp/quotas.csv`` and the
optional ``comp/adjustments.csv`` are read into typed, validated objects::

    config = load_comp_config(workspace, known_employees={"E001", ...})  # or CompConfigError
    problems = check_comp_config(workspace)  # never raises for content problems
    write_comp_tables(config, connection)  # the comp.* warehouse tables, in one transaction
"""

from openspm.comp.config import CompConfig, check_comp_config, load_comp_config
from openspm.comp.load import write_comp_tables
from openspm.comp.plan_files import read_plan_file, read_plan_text
from openspm.comp.plans import (
    Clawback,
    Component,
    Draw,
    FlatRates,
    Plan,
    Spiff,
    Tier,
    TieredRates,
)
from openspm.comp.problems import CompConfigError, ConfigProblem
from openspm.comp.quota_periods import (
    QuotaPeriod,
    QuotaPeriodKind,
    quota_period_containing,
    quota_periods,
)
from openspm.comp.tables import Adjustment, PlanAssignment, Quota

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
    "quota_period_containing",
    "quota_periods",
    "read_plan_file",
    "read_plan_text",
    "write_comp_tables",
]
