"""``comp/opening_balances.csv``: what the system OpenSPM replaces had paid, at go-live.

docs/contract.md sections 3 and 4.12. Optional. Amounts are as of the end of the month before
``first_period``: ``paid_to_date`` per employee, plan, component (or SPIFF) and quota period
begun before ``first_period`` (in the plan's currency), the recoverable ``draw_balance`` and the
``negative_carry`` (a negative number) per employee. The close of ``first_period`` records the
file with its opening amounts (``finance.opening_balances``); changing it afterwards is refused
(``int_go_live_problems``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from openspm.comp.plans import Plan
from openspm.comp.problems import ConfigProblem
from openspm.comp.tables import PlanAssignment, _read_rows, _Row, parse_date

OPENING_BALANCES_FILE = "comp/opening_balances.csv"
OPENING_COLUMNS = (
    "employee_id",
    "kind",
    "plan_id",
    "component_id",
    "quota_period_start",
    "amount",
    "currency",
)
PAID_TO_DATE, DRAW_BALANCE, NEGATIVE_CARRY = "paid_to_date", "draw_balance", "negative_carry"
KINDS = (PAID_TO_DATE, DRAW_BALANCE, NEGATIVE_CARRY)

RowProblem = Callable[[int, str | None, str], None]  # row, column, message


@dataclass(frozen=True)
class OpeningBalance:
    """One row of opening_balances.csv (plan, component and quota period: paid_to_date only)."""

    employee_id: str
    kind: str
    plan_id: str | None
    component_id: str | None
    quota_period_start: date | None
    amount: Decimal
    currency: str
    row: int

    @property
    def key(self) -> tuple[object, ...]:
        return (
            self.employee_id,
            self.kind,
            self.plan_id,
            self.component_id,
            self.quota_period_start,
        )


def read_opening_balances(
    path: Path, source_file: str = OPENING_BALANCES_FILE
) -> tuple[list[OpeningBalance] | None, list[ConfigProblem]]:
    """Parse opening_balances.csv; a missing file means no opening balances."""
    if not path.exists():
        return [], []
    problems: list[ConfigProblem] = []
    rows = _read_rows(path, source_file, OPENING_COLUMNS, problems)
    if rows is None:
        return None, problems
    result: list[OpeningBalance] = []
    for number, values in rows:
        row = _Row(source_file, number, values, problems)
        employee = row.text("employee_id")
        kind = row.text("kind")
        if kind and kind not in KINDS:
            row.fail("kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        plan_id = values.get("plan_id", "") or None
        component_id = values.get("component_id", "") or None
        start = row._parse("quota_period_start", parse_date, optional=True)
        amount = row.decimal("amount")
        if amount is not None and amount != amount.quantize(Decimal("0.01")):
            row.fail("amount", f"an amount paid is in cents: at most 2 decimals (got {amount})")
        currency = row.currency("currency")
        if row.ok and amount is not None and currency:
            result.append(
                OpeningBalance(
                    employee, kind, plan_id, component_id, start, amount, currency, number
                )
            )
    return result, problems


def check_opening_balances(
    balances: Sequence[OpeningBalance],
    plans: Mapping[str, Plan],
    assignments: Sequence[PlanAssignment],
    first_period_start: date | None,
    known_employees: set[str] | None,
    problem: RowProblem,
) -> None:
    """Checks across files: every problem is reported through ``problem`` with its row."""
    seen: dict[tuple[object, ...], int] = {}
    held = {(a.employee_id, a.plan_id) for a in assignments}
    for b in balances:
        if b.key in seen:
            problem(
                b.row,
                None,
                f"duplicate of row {seen[b.key]} (same employee, kind, plan, "
                "component and quota period)",
            )
            continue
        seen[b.key] = b.row
        if known_employees is not None and b.employee_id not in known_employees:
            problem(
                b.row, "employee_id", f"unknown employee {b.employee_id!r} (not in hris/employees)"
            )
        if b.kind == PAID_TO_DATE:
            _check_paid_to_date(b, plans, held, first_period_start, problem)
            continue
        named = [
            c
            for c, v in (
                ("plan_id", b.plan_id),
                ("component_id", b.component_id),
                ("quota_period_start", b.quota_period_start),
            )
            if v
        ]
        if named:
            problem(
                b.row,
                named[0],
                f"a {b.kind} row is per employee: leave plan_id, "
                "component_id and quota_period_start empty",
            )
        if b.kind == DRAW_BALANCE and b.amount < 0:
            problem(
                b.row,
                "amount",
                f"a draw balance is what the employee owes back: 0 or more (got {b.amount})",
            )
        if b.kind == NEGATIVE_CARRY and b.amount >= 0:
            problem(b.row, "amount", f"a negative carry is a negative number (got {b.amount})")


def _check_paid_to_date(
    b: OpeningBalance,
    plans: Mapping[str, Plan],
    held: set[tuple[str, str]],
    first_period_start: date | None,
    problem: RowProblem,
) -> None:
    missing = [
        c
        for c, v in (
            ("plan_id", b.plan_id),
            ("component_id", b.component_id),
            ("quota_period_start", b.quota_period_start),
        )
        if not v
    ]
    if missing:
        problem(
            b.row,
            missing[0],
            "a paid_to_date row names the plan, the component (or SPIFF) "
            "and the start of the quota period",
        )
        return
    assert b.plan_id and b.component_id and b.quota_period_start
    plan = plans.get(b.plan_id)
    if plan is None:
        problem(b.row, "plan_id", f"unknown plan {b.plan_id!r}")
        return
    if (b.employee_id, b.plan_id) not in held:
        problem(
            b.row,
            "employee_id",
            f"employee {b.employee_id} never held plan {b.plan_id} (comp/plan_assignments.csv)",
        )
    if b.currency != plan.currency:
        problem(
            b.row,
            "currency",
            f"paid_to_date is in the plan's currency {plan.currency} (got {b.currency})",
        )
    component = plan.component(b.component_id)
    spiff_ids = {s.id for s in plan.spiffs}
    if component is not None:
        periods = plan.component_periods(component)
    elif b.component_id in spiff_ids:
        periods = plan.quota_periods("year")
    else:
        known = ", ".join([c.id for c in plan.components] + sorted(spiff_ids))
        problem(
            b.row,
            "component_id",
            f"plan {b.plan_id} has no component or SPIFF {b.component_id!r} (it has: {known})",
        )
        return
    starts = [p.start for p in periods]
    if b.quota_period_start not in starts:
        shown = ", ".join(str(s) for s in starts[:4]) + (", ..." if len(starts) > 4 else "")
        problem(
            b.row,
            "quota_period_start",
            f"{b.quota_period_start} starts no quota period "
            f"of {b.plan_id}/{b.component_id} (they start {shown})",
        )
    elif first_period_start is not None and b.quota_period_start >= first_period_start:
        problem(
            b.row,
            "quota_period_start",
            f"the quota period starting {b.quota_period_start} "
            f"begins on or after first_period {first_period_start:%Y-%m}: OpenSPM pays it "
            "from the start, it has no opening balance",
        )
