"""Small hand-made workspaces for multi-month scenarios closed through the real CLI.

A ``Scenario`` writes ``openspm.yaml``, plan files, the comp CSVs and landing batches (CSV, one
file per delivery, as an extract would drop them), then closes months with ``openspm close``
and reads ``finance.*`` back. Every change between closes is a new landing batch or an edit of
``comp/``, exactly what a company would do.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from openspm.cli import app
from openspm.warehouse import duckdb_file

runner = CliRunner()

DEAL_COLUMNS = (
    "deal_id",
    "account_id",
    "owner_id",
    "deal_type",
    "stage",
    "is_won",
    "close_date",
    "amount",
    "currency",
    "contract_start_date",
    "contract_term_months",
    "cancelled_date",
    "is_deleted",
    "modified_at",
)
INVOICE_COLUMNS = (
    "invoice_id", "deal_id", "invoice_date", "amount", "currency", "status", "is_deleted",
    "modified_at",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "payment_id", "invoice_id", "payment_date", "amount", "currency", "is_deleted", "modified_at",
)  # fmt: skip
COLUMNS = {"crm/deals": DEAL_COLUMNS, "erp/invoices": INVOICE_COLUMNS,
           "erp/payments": PAYMENT_COLUMNS}  # fmt: skip


def plan_yaml(
    plan_id: str,
    *,
    currency: str = "USD",
    components: str,
    extra: str = "",
    effective_from: str = "2026-01-01",
    effective_to: str = "2026-12-31",
    window_days: int | None = 90,
) -> str:
    """A plan file; ``components`` and ``extra`` are YAML blocks (indented as in the file)."""
    text = (
        f"id: {plan_id}\nname: {plan_id} plan\ncurrency: {currency}\n"
        f"effective_from: {effective_from}\neffective_to: {effective_to}\n"
        f"components:\n{components}{extra}"
    )
    if window_days is not None:
        text += f"clawback:\n  window_days: {window_days}\n"
    return text


def flat_component(
    component_id: str,
    rate: str,
    deal_types: str = "[new_business]",
    *,
    measure: str = "bookings",
    credit_types: str = "[direct, split]",
) -> str:
    return (
        f"  - id: {component_id}\n    measure: {measure}\n    deal_types: {deal_types}\n"
        f"    credit_types: {credit_types}\n    rates: {{method: flat, rate: {rate}}}\n"
    )


@dataclass
class Scenario:
    """One workspace folder; ``batch`` counts the landing deliveries written so far."""

    root: Path
    first_period: str
    employees: Iterable[str]
    batch: int = 0
    plans: dict[str, str] = field(default_factory=dict)
    settings: str = ""  # more openspm.yaml, e.g. an `accounting:` block
    since: str = "2025-01-01"  # everyone's hire date and first job_history row

    def __post_init__(self) -> None:
        self.employees = list(self.employees)
        (self.root / "comp" / "plans").mkdir(parents=True)
        (self.root / "openspm.yaml").write_text(
            f"company: Scenario Inc.\nreporting_currency: USD\nfirst_period: {self.first_period}\n"
            + self.settings
        )
        people = [
            {
                "employee_id": e,
                "first_name": e,
                "last_name": "Rep",
                "email": f"{e.lower()}@example.com",
                "hire_date": self.since,
                "modified_at": "2025-01-01T00:00:00Z",
            }
            for e in self.employees
        ]
        self.land("hris/employees", people)
        self.land(
            "hris/job_history",
            [
                {
                    "employee_id": e,
                    "effective_date": self.since,
                    "job_title": "Account Executive",
                    "manager_id": "",
                    "status": "active",
                    "modified_at": "2025-01-01T00:00:00Z",
                }
                for e in self.employees
            ],
        )
        self.land(
            "crm/users",
            [
                {
                    "user_id": f"U{e}",
                    "employee_id": e,
                    "email": f"{e.lower()}@example.com",
                    "modified_at": "2025-01-01T00:00:00Z",
                }
                for e in self.employees
            ],
        )
        self.write_comp(
            "adjustments.csv", "adjustment_id,employee_id,period,amount,currency,reason\n"
        )
        self.write_comp("quotas.csv", "employee_id,plan_id,component_id,period_start,quota\n")

    # ------------------------------------------------------------------------- writing inputs

    def write_plan(self, plan_id: str, text: str) -> None:
        self.plans[plan_id] = text
        (self.root / "comp" / "plans" / f"{plan_id.lower()}.yaml").write_text(text)

    def write_comp(self, name: str, text: str) -> None:
        (self.root / "comp" / name).write_text(text)

    def assignments(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """(employee, plan, from, to) rows of comp/plan_assignments.csv (to may be '')."""
        body = "".join(f"{e},{p},{f},{t},60000\n" for e, p, f, t in rows)
        self.write_comp(
            "plan_assignments.csv",
            "employee_id,plan_id,effective_from,effective_to,target_incentive\n" + body,
        )

    def land(self, entity: str, rows: list[Mapping[str, Any]]) -> Path:
        """Write one landing batch of ``entity`` (system/entity) and return its path."""
        self.batch += 1
        folder = self.root / "landing" / entity
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"batch-{self.batch:03d}.csv"
        columns = COLUMNS.get(entity) or list(rows[0])
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({c: row.get(c, "") for c in columns})
        return path

    def deals(self, *deals: Mapping[str, Any]) -> Path:
        """A batch of deals; each batch's versions are newer than every earlier batch's."""
        return self.land("crm/deals", [{"modified_at": self._stamp()} | dict(d) for d in deals])

    def invoices(self, *invoices: Mapping[str, Any]) -> Path:
        """A batch of erp/invoices (``invoice(...)`` rows), newer than every earlier batch."""
        stamp = self._stamp()
        return self.land("erp/invoices", [{"modified_at": stamp} | dict(i) for i in invoices])

    def payments(self, *payments: Mapping[str, Any]) -> Path:
        """A batch of erp/payments (``payment(...)`` rows), newer than every earlier batch."""
        stamp = self._stamp()
        return self.land("erp/payments", [{"modified_at": stamp} | dict(p) for p in payments])

    def _stamp(self) -> str:
        return (datetime(2026, 1, 1) + timedelta(minutes=self.batch)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )

    # ------------------------------------------------------------------------- running

    def close(self, period: str) -> tuple[int, str]:
        """``openspm close --period``: (exit code, output)."""
        result = runner.invoke(
            app, ["close", "--period", period, "--workspace", str(self.root), "--quiet"]
        )
        return result.exit_code, result.output

    def run(self, through: str) -> tuple[int, str]:
        """``openspm run --through``: drafts of every open month through ``through``."""
        result = runner.invoke(
            app, ["run", "--through", through, "--workspace", str(self.root), "--quiet"]
        )
        return result.exit_code, result.output

    def closed(self, period: str) -> None:
        code, output = self.close(period)
        assert code == 0, output

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb_file(str(self.root / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def payout(self, employee: str, period: str) -> dict[str, Decimal] | None:
        rows = self.query(
            "select currency, commission, spiff, draw_top_up, draw_recovery, adjustments, "
            "negative_carry_in, net_payout from finance.payouts "
            "where employee_id = ? and period = ?",
            [employee, period],
        )
        if not rows:
            return None
        names = (
            "currency",
            "commission",
            "spiff",
            "draw_top_up",
            "draw_recovery",
            "adjustments",
            "negative_carry_in",
            "net_payout",
        )
        return dict(zip(names, rows[0], strict=True))

    def lines(self, employee: str, period: str) -> dict[tuple[str, str, str], Decimal]:
        """(plan, component, line_type) -> amount of the published lines of a month."""
        rows = self.query(
            "select plan_id, component_id, line_type, amount from finance.payout_lines "
            "where employee_id = ? and period = ?",
            [employee, period],
        )
        return {(p, c, t): a for p, c, t, a in rows}


def deal(
    deal_id: str,
    employee: str,
    close_date: str,
    amount: str,
    *,
    currency: str = "USD",
    deal_type: str = "new_business",
    **extra: str,
) -> dict[str, str]:
    return {
        "deal_id": deal_id,
        "account_id": "A1",
        "owner_id": f"U{employee}",
        "deal_type": deal_type,
        "stage": "closed_won",
        "is_won": "true",
        "close_date": close_date,
        "amount": amount,
        "currency": currency,
    } | extra


def invoice(
    invoice_id: str,
    deal_id: str,
    invoice_date: str,
    amount: str,
    *,
    currency: str = "USD",
    status: str = "open",
    **extra: str,
) -> dict[str, str]:
    return {
        "invoice_id": invoice_id,
        "deal_id": deal_id,
        "invoice_date": invoice_date,
        "amount": amount,
        "currency": currency,
        "status": status,
    } | extra


def payment(
    payment_id: str,
    invoice_id: str,
    payment_date: str,
    amount: str,
    *,
    currency: str = "USD",
    **extra: str,
) -> dict[str, str]:
    return {
        "payment_id": payment_id,
        "invoice_id": invoice_id,
        "payment_date": payment_date,
        "amount": amount,
        "currency": currency,
    } | extra
