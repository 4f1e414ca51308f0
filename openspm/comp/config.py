"""Loading and validating the whole compensation configuration of a workspace.

``load_comp_config`` returns the typed content or raises ``CompConfigError`` listing every
problem; ``check_comp_config`` returns the problems without raising. Besides the checks of each
file (``plans``, ``tables``), this module checks the files against each other: plan ids used
once, assignments to known plans within the plan's dates and not overlapping, quotas that match
a quota-based component and one of its quota periods, a quota for every quota period an
assignment overlaps, unknown employees, adjustment ids used once.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from openspm.comp.opening_balances import (
    OPENING_BALANCES_FILE,
    OpeningBalance,
    check_opening_balances,
    read_opening_balances,
)
from openspm.comp.plan_files import read_plan_file
from openspm.comp.plans import Component, Plan
from openspm.comp.problems import CompConfigError, ConfigProblem
from openspm.comp.quota_periods import QuotaPeriod
from openspm.comp.tables import (
    ADJUSTMENTS_FILE,
    ASSIGNMENTS_FILE,
    QUOTAS_FILE,
    Adjustment,
    PlanAssignment,
    Quota,
    read_adjustments,
    read_assignments,
    read_quotas,
)
from openspm.workspace import Workspace

PLANS_DIR = "comp/plans"

QuotaKey = tuple[str, str, str, date]  # employee_id, plan_id, component_id, period_start


@dataclass(frozen=True)
class CompConfig:
    """The validated compensation configuration of a workspace."""

    plans: Mapping[str, Plan]  # by plan id, in id order
    plan_files: Mapping[str, str]  # plan id -> file relative to the workspace
    assignments: tuple[PlanAssignment, ...]  # effective_end resolved
    quotas: tuple[Quota, ...]
    adjustments: tuple[Adjustment, ...]
    opening_balances: tuple[OpeningBalance, ...] = ()
    _quota_index: dict[QuotaKey, Decimal] = dataclasses.field(init=False, repr=False, compare=False)
    _by_employee: dict[str, list[PlanAssignment]] = dataclasses.field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        quotas = {
            (q.employee_id, q.plan_id, q.component_id, q.period_start): q.quota for q in self.quotas
        }
        by_employee: dict[str, list[PlanAssignment]] = defaultdict(list)
        for a in sorted(self.assignments, key=lambda a: a.effective_from):
            by_employee[a.employee_id].append(a)
        object.__setattr__(self, "_quota_index", quotas)
        object.__setattr__(self, "_by_employee", dict(by_employee))

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id (KeyError if unknown)."""
        return self.plans[plan_id]

    def assignments_of(self, employee_id: str) -> list[PlanAssignment]:
        """An employee's assignments, oldest first."""
        return list(self._by_employee.get(employee_id, ()))

    def assignment_on(self, employee_id: str, day: date) -> PlanAssignment | None:
        """The employee's assignment active on ``day`` (assignments never overlap)."""
        return next((a for a in self.assignments_of(employee_id) if a.holds_on(day)), None)

    def quota(
        self, employee_id: str, plan_id: str, component_id: str, period_start: date
    ) -> Decimal | None:
        """The quota of one employee, component and quota period (by its start), if any."""
        return self._quota_index.get((employee_id, plan_id, component_id, period_start))


def _as_workspace(workspace: Workspace | str | os.PathLike[str]) -> Workspace:
    return workspace if isinstance(workspace, Workspace) else Workspace(Path(workspace))


def load_comp_config(
    workspace: Workspace | str | os.PathLike[str],
    *,
    known_employees: set[str] | None = None,
) -> CompConfig:
    """Read and validate ``comp/``; raise ``CompConfigError`` listing every problem.

    ``known_employees`` (employee ids from HRIS) enables the unknown-employee check; None skips it.
    """
    config, problems = _collect(_as_workspace(workspace), known_employees)
    if problems or config is None:
        raise CompConfigError(problems)
    return config


def check_comp_config(
    workspace: Workspace | str | os.PathLike[str],
    known_employees: set[str] | None = None,
) -> list[ConfigProblem]:
    """Every problem of the compensation configuration (empty when valid).

    Never raises for content problems: missing or unreadable files are problems too.
    """
    return _collect(_as_workspace(workspace), known_employees)[1]


class _Collector:
    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def row(self, file: str, row: int, key: str | None, message: str) -> None:
        """A problem of CSV data row ``row`` (line row + 1)."""
        self.problems.append(ConfigProblem(file, row + 1, key, message, row=row))

    def at(self, file: str, line: int | None, key: str | None, message: str) -> None:
        """A problem at a line of a file (or of the whole file)."""
        self.problems.append(ConfigProblem(file, line, key, message))


def _collect(
    workspace: Workspace, known_employees: set[str] | None
) -> tuple[CompConfig | None, list[ConfigProblem]]:
    out = _Collector()
    comp_dir = workspace.comp_dir
    plans, plan_files, broken_plans = _read_plans(comp_dir / "plans", out)

    assignments, problems = read_assignments(comp_dir / "plan_assignments.csv")
    out.problems += problems
    quotas, problems = read_quotas(comp_dir / "quotas.csv")
    out.problems += problems
    adjustments, problems = read_adjustments(comp_dir / "adjustments.csv")
    out.problems += problems
    opening, problems = read_opening_balances(comp_dir / "opening_balances.csv")
    out.problems += problems

    resolved = _check_assignments(assignments or [], plans, broken_plans, known_employees, out)
    _check_quotas(quotas or [], plans, broken_plans, known_employees, out)
    if assignments is not None and quotas is not None:
        _check_missing_quotas(resolved, quotas, plans, out)
    _check_adjustments(adjustments or [], known_employees, out)
    check_opening_balances(
        opening or [],
        plans,
        resolved,
        _first_period_start(workspace, resolved),
        known_employees,
        lambda row, key, message: out.row(OPENING_BALANCES_FILE, row, key, message),
    )

    if out.problems:
        return None, _in_reading_order(out.problems)
    config = CompConfig(
        plans=dict(sorted(plans.items())),
        plan_files=dict(sorted(plan_files.items())),
        assignments=tuple(resolved),
        quotas=tuple(quotas or ()),
        adjustments=tuple(adjustments or ()),
        opening_balances=tuple(opening or ()),
    )
    return config, []


def _first_period_start(workspace: Workspace, assignments: list[PlanAssignment]) -> date | None:
    """First day of first_period: openspm.yaml's, else the earliest assignment's month."""
    try:
        configured = workspace.settings.first_period
    except (OSError, ValueError):  # an invalid openspm.yaml is reported by the settings check
        configured = None
    if configured:
        return date(int(configured[:4]), int(configured[5:7]), 1)
    earliest = min((a.effective_from for a in assignments), default=None)
    return earliest.replace(day=1) if earliest is not None else None


def _in_reading_order(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """Files in the order first reported; within a file by line (whole-file problems last)."""
    rank: dict[str, int] = {}
    for problem in problems:
        rank.setdefault(problem.file, len(rank))
    return sorted(
        problems,
        key=lambda p: (rank[p.file], p.line is None, p.line or 0),
    )


def _read_plans(
    plans_dir: Path, out: _Collector
) -> tuple[dict[str, Plan], dict[str, str], set[str]]:
    """Valid plans by id, their files, and the ids declared by invalid plan files."""
    plans: dict[str, Plan] = {}
    files: dict[str, str] = {}
    broken: set[str] = set()
    if not plans_dir.is_dir():
        out.at(PLANS_DIR, None, None, "folder is missing; it holds one YAML file per plan")
        return plans, files, broken
    first_file: dict[str, str] = {}
    paths = sorted(p for p in plans_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    for path in paths:
        source = f"{PLANS_DIR}/{path.name}"
        if path.suffix == ".yml":
            out.at(
                source,
                None,
                None,
                "plan files must end in .yaml (this one is ignored until renamed)",
            )
            continue
        if path.suffix != ".yaml":
            continue
        result = read_plan_file(path, source)
        out.problems += result.problems
        plan_id = result.declared_id
        if plan_id is None:
            continue
        if plan_id in first_file:
            out.at(
                source,
                result.id_line,
                "id",
                f"plan id {plan_id!r} is already used by {first_file[plan_id]}",
            )
            broken.add(plan_id)
            continue
        first_file[plan_id] = source
        if result.plan is None:
            broken.add(plan_id)
        else:
            plans[plan_id] = result.plan
            files[plan_id] = source
    for plan_id in broken:
        plans.pop(plan_id, None)
        files.pop(plan_id, None)
    if not any(p.suffix == ".yaml" for p in paths):
        out.at(PLANS_DIR, None, None, "no plan files (*.yaml)")
    return plans, files, broken


def _unknown_plan(plan_id: str, plans: Mapping[str, Plan]) -> str:
    close = difflib.get_close_matches(plan_id, list(plans), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    known = ", ".join(sorted(plans)) or "none"
    return f"unknown plan {plan_id!r} (plans: {known}){hint}"


def _span(start: date, end: date | None) -> str:
    return f"{start}..{end if end is not None else 'open'}"


def _check_assignments(
    assignments: list[PlanAssignment],
    plans: Mapping[str, Plan],
    broken: set[str],
    known_employees: set[str] | None,
    out: _Collector,
) -> list[PlanAssignment]:
    """Check assignments against plans and each other; return them with effective_end set."""
    resolved: list[PlanAssignment] = []
    for a in assignments:
        if known_employees is not None and a.employee_id not in known_employees:
            out.row(
                ASSIGNMENTS_FILE,
                a.row,
                "employee_id",
                f"unknown employee {a.employee_id!r} (not in hris/employees)",
            )
        plan = plans.get(a.plan_id)
        end = a.effective_to
        if plan is None:
            if a.plan_id not in broken:  # an invalid plan file is reported on its own
                out.row(ASSIGNMENTS_FILE, a.row, "plan_id", _unknown_plan(a.plan_id, plans))
        else:
            end = a.effective_to or plan.effective_to
            plan_span = f"plan {plan.id} runs {plan.effective_from}..{plan.effective_to}"
            if not plan.effective_from <= a.effective_from <= plan.effective_to:
                out.row(
                    ASSIGNMENTS_FILE,
                    a.row,
                    "effective_from",
                    f"{a.effective_from} is outside the plan's dates ({plan_span})",
                )
            elif a.effective_to is not None and a.effective_to > plan.effective_to:
                out.row(
                    ASSIGNMENTS_FILE,
                    a.row,
                    "effective_to",
                    f"{a.effective_to} is after the plan ends ({plan_span})",
                )
        resolved.append(dataclasses.replace(a, effective_end=end))

    by_employee: dict[str, list[PlanAssignment]] = defaultdict(list)
    for a in resolved:
        by_employee[a.employee_id].append(a)
    for rows in by_employee.values():
        rows.sort(key=lambda a: (a.effective_from, a.row))
        for j, later in enumerate(rows):
            for earlier in rows[:j]:
                if earlier.effective_end is None or later.effective_from <= earlier.effective_end:
                    first, second = sorted((earlier, later), key=lambda a: a.row)
                    out.row(
                        ASSIGNMENTS_FILE,
                        second.row,
                        "effective_from",
                        f"employee {second.employee_id}'s assignment to {second.plan_id} "
                        f"({_span(second.effective_from, second.effective_end)}) overlaps row "
                        f"{first.row} ({first.plan_id}, "
                        f"{_span(first.effective_from, first.effective_end)})",
                    )
    return resolved


def _period_list(periods: Iterable[QuotaPeriod], limit: int = 4) -> str:
    starts = [str(p.start) for p in periods]
    more = ", ..." if len(starts) > limit else ""
    return ", ".join(starts[:limit]) + more


def _check_quotas(
    quotas: list[Quota],
    plans: Mapping[str, Plan],
    broken: set[str],
    known_employees: set[str] | None,
    out: _Collector,
) -> None:
    seen: dict[QuotaKey, int] = {}
    for q in quotas:
        if known_employees is not None and q.employee_id not in known_employees:
            out.row(
                QUOTAS_FILE,
                q.row,
                "employee_id",
                f"unknown employee {q.employee_id!r} (not in hris/employees)",
            )
        key = (q.employee_id, q.plan_id, q.component_id, q.period_start)
        if key in seen:
            out.row(
                QUOTAS_FILE,
                q.row,
                "period_start",
                f"duplicate of row {seen[key]} (same employee, plan, component and period_start)",
            )
        seen.setdefault(key, q.row)
        plan = plans.get(q.plan_id)
        if plan is None:
            if q.plan_id not in broken:
                out.row(QUOTAS_FILE, q.row, "plan_id", _unknown_plan(q.plan_id, plans))
            continue
        component = plan.component(q.component_id)
        if component is None:
            known = ", ".join(c.id for c in plan.components)
            out.row(
                QUOTAS_FILE,
                q.row,
                "component_id",
                f"plan {plan.id} has no component {q.component_id!r} (components: {known})",
            )
            continue
        if not component.is_quota_based or component.quota_period is None:
            out.row(
                QUOTAS_FILE,
                q.row,
                "component_id",
                f"component {component.id} of plan {plan.id} has flat rates and takes no "
                "quota (only marginal and retroactive components do)",
            )
            continue
        period = plan.period_containing(component.quota_period, q.period_start)
        if period is None or period.start != q.period_start:
            starts = _period_list(plan.quota_periods(component.quota_period))
            out.row(
                QUOTAS_FILE,
                q.row,
                "period_start",
                f"{q.period_start} is not the start of a {component.quota_period} quota "
                f"period of plan {plan.id} (periods start {starts})",
            )


def _check_missing_quotas(
    assignments: list[PlanAssignment],
    quotas: list[Quota],
    plans: Mapping[str, Plan],
    out: _Collector,
) -> None:
    have = {(q.employee_id, q.plan_id, q.component_id, q.period_start) for q in quotas}
    for a in assignments:
        plan = plans.get(a.plan_id)
        if plan is None or a.effective_end is None:
            continue
        for component in plan.components:
            for period in _overlapping_periods(plan, component, a):
                if (a.employee_id, plan.id, component.id, period.start) not in have:
                    out.at(
                        QUOTAS_FILE,
                        None,
                        None,
                        f"missing quota: employee {a.employee_id}, plan {plan.id}, component "
                        f"{component.id}, {component.quota_period} {period.start}..{period.end} "
                        f"(assigned in {ASSIGNMENTS_FILE} row {a.row})",
                    )


def _overlapping_periods(
    plan: Plan, component: Component, assignment: PlanAssignment
) -> list[QuotaPeriod]:
    if not component.is_quota_based or component.quota_period is None:
        return []
    end = assignment.effective_end
    return [
        p
        for p in plan.quota_periods(component.quota_period)
        if p.start <= (end or p.end) and assignment.effective_from <= p.end
    ]


def _check_adjustments(
    adjustments: list[Adjustment], known_employees: set[str] | None, out: _Collector
) -> None:
    seen: dict[str, int] = {}
    for adj in adjustments:
        if adj.adjustment_id in seen:
            out.row(
                ADJUSTMENTS_FILE,
                adj.row,
                "adjustment_id",
                f"adjustment id {adj.adjustment_id!r} is already used in row "
                f"{seen[adj.adjustment_id]}",
            )
        seen.setdefault(adj.adjustment_id, adj.row)
        if known_employees is not None and adj.employee_id not in known_employees:
            out.row(
                ADJUSTMENTS_FILE,
                adj.row,
                "employee_id",
                f"unknown employee {adj.employee_id!r} (not in hris/employees)",
            )
