"""The commission engine (docs/contract.md section 4, rules 6-11) on a hand-made warehouse.

Raw tables as ingestion writes them, comp tables written by ``openspm.comp.write_comp_tables``
from real plan files, empty finance tables with the DDL of docs/engine-interface.md; one
``dbt build`` (unit tests, models, data tests). Then January to March are published (the drafts
copied into finance.*), a late credit dated February arrives, and a second build must restate
it in April.

Plans (2026, USD, clawback 90 days): AE pays `bookings` (new_business, expansion; marginal,
quarterly quota 10,000: 10% up to 100%, 20% above), `renewals` (flat 5%) and a SPIFF (300 per
new_business deal closed Feb-Mar of at least 5,000, shared by credit share). NH is AE's bookings
component with a recoverable draw of 1,000 a month in January and February.

    A1 (AE)  D1 2026-01-15 new_business 8,000; D2 2026-02-10 new_business 6,000 split 50/50
             with A2; D3 2026-03-05 renewal 2,000; adjustment +50 in March
    A2 (AE)  half of D2; D5 2026-03-10 new_business 4,000, cancelled 2026-04-05 (clawed back
             in Q2, the quarter of the cancellation)
    N1 (NH)  D4 2026-02-20 new_business 3,000
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from raw_fixtures import create_raw_tables, load_batch

from openspm.comp import load_comp_config, write_comp_tables
from openspm.publish import publish_period
from openspm.warehouse import duckdb_file

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT = REPO / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
MODIFIED = "2026-06-30T00:00:00Z"

EMPLOYEES = {"A1": ("Ada", "Ames"), "A2": ("Ben", "Bose"), "N1": ("Nia", "Nord")}
USERS = {"U1": "A1", "U2": "A2", "U3": "N1"}

BOOKINGS = """  - id: bookings
    measure: bookings
    deal_types: [new_business, expansion]
    credit_types: [direct, split]
    quota_period: quarter
    rates:
      method: marginal
      tiers:
        - {from: 0.0, rate: 0.10}
        - {from: 1.0, rate: 0.20}
"""
RENEWALS = """  - id: renewals
    measure: bookings
    deal_types: [renewal]
    credit_types: [direct, split]
    rates: {method: flat, rate: 0.05}
"""


def plan(plan_id: str, body: str) -> str:
    return (
        f"id: {plan_id}\nname: {plan_id} plan\ncurrency: USD\neffective_from: 2026-01-01\n"
        f"effective_to: 2026-12-31\ncomponents:\n{body}clawback:\n  window_days: 90\n"
    )


PLANS = {
    "AE": plan(
        "AE",
        BOOKINGS + RENEWALS + "spiffs:\n  - id: spring-logo\n    deal_types: [new_business]\n"
        "    from: 2026-02-01\n    to: 2026-03-31\n    min_amount: 5000\n    amount: 300\n",
    ),
    "NH": plan(
        "NH",
        BOOKINGS + "draw:\n  kind: recoverable\n  monthly_amount: 1000\n"
        "  from: 2026-01-01\n  to: 2026-02-28\n",
    ),
}
ASSIGNMENTS = """employee_id,plan_id,effective_from,effective_to,target_incentive
A1,AE,2026-01-01,,40000
A2,AE,2026-01-01,,40000
N1,NH,2026-01-01,,40000
"""
QUOTAS = "employee_id,plan_id,component_id,period_start,quota\n" + "".join(
    f"{e},{p},bookings,2026-{m:02d}-01,10000\n"
    for e, p in (("A1", "AE"), ("A2", "AE"), ("N1", "NH"))
    for m in (1, 4, 7, 10)
)
ADJUSTMENTS = (
    "adjustment_id,employee_id,period,amount,currency,reason\nADJ1,A1,2026-03,50,USD,bonus\n"
)


def deal(
    deal_id: str, owner: str, deal_type: str, close: str, amount: str, **extra: str
) -> dict[str, str]:
    return {
        "deal_id": deal_id,
        "account_id": "AC1",
        "owner_id": owner,
        "deal_type": deal_type,
        "stage": "closed_won",
        "is_won": "true",
        "close_date": close,
        "amount": amount,
        "currency": "USD",
        "modified_at": MODIFIED,
    } | extra


DEALS = [
    deal("D1", "U1", "new_business", "2026-01-15", "8000"),
    deal("D2", "U1", "new_business", "2026-02-10", "6000"),
    deal("D3", "U1", "renewal", "2026-03-05", "2000"),
    deal("D4", "U3", "new_business", "2026-02-20", "3000"),
    deal("D5", "U2", "new_business", "2026-03-10", "4000", cancelled_date="2026-04-05"),
]
LATE_DEAL = deal("D6", "U1", "new_business", "2026-02-25", "2000")


def build_warehouse(folder: Path) -> Path:
    warehouse = folder / "warehouse.duckdb"
    with duckdb_file(str(warehouse)) as con:
        create_raw_tables(con)
        load_batch(
            con,
            "hris/employees",
            [
                {
                    "employee_id": e,
                    "first_name": f,
                    "last_name": last,
                    "email": f"{e}@example.com",
                    "hire_date": "2025-01-01",
                    "modified_at": MODIFIED,
                }
                for e, (f, last) in EMPLOYEES.items()
            ],
        )
        load_batch(
            con,
            "hris/job_history",
            [
                {
                    "employee_id": e,
                    "effective_date": "2025-01-01",
                    "manager_id": "",
                    "job_title": "AE",
                    "status": "active",
                    "modified_at": MODIFIED,
                }
                for e in EMPLOYEES
            ],
        )
        load_batch(
            con,
            "crm/users",
            [
                {
                    "user_id": u,
                    "employee_id": e,
                    "email": f"{u}@example.com",
                    "modified_at": MODIFIED,
                }
                for u, e in USERS.items()
            ],
        )
        load_batch(con, "crm/deals", DEALS)
        load_batch(
            con,
            "crm/deal_splits",
            [
                {
                    "split_id": s,
                    "deal_id": "D2",
                    "owner_id": o,
                    "split_type": "revenue",
                    "split_percent": "50",
                    "modified_at": MODIFIED,
                }
                for s, o in (("S1", "U1"), ("S2", "U2"))
            ],
        )
        load_batch(
            con,
            "erp/fx_rates",
            [
                {
                    "rate_date": "2026-01-01",
                    "from_currency": "EUR",
                    "to_currency": "USD",
                    "rate": "1.1",
                }
            ],
        )
        root = folder / "workspace"
        (root / "comp" / "plans").mkdir(parents=True)
        for plan_id, text in PLANS.items():
            (root / "comp" / "plans" / f"{plan_id.lower()}.yaml").write_text(text)
        (root / "comp" / "plan_assignments.csv").write_text(ASSIGNMENTS)
        (root / "comp" / "quotas.csv").write_text(QUOTAS)
        (root / "comp" / "adjustments.csv").write_text(ADJUSTMENTS)
        write_comp_tables(load_comp_config(root, known_employees=set(EMPLOYEES)), con)
    return warehouse


@dataclass
class Build:
    warehouse: Path
    returncode: int
    output: str

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb_file(str(self.warehouse), read_only=True) as con:
            return con.sql(sql).fetchall()


def dbt_build(folder: Path, name: str) -> Build:
    env = {
        **os.environ,
        "OPENSPM_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # January to March are published from one build: every open month is drafted with
        # its accounting (docs/accounting.md, "Drafts"; a close drafts only the next month)
        "OPENSPM_ACCOUNTING": '{"draft_months": 12}',
    }
    done = subprocess.run(
        [
            DBT,
            "build",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(folder / f"target_{name}"),
            "--log-path",
            str(folder / f"logs_{name}"),
        ],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Build(folder / "warehouse.duckdb", done.returncode, done.stdout + done.stderr)


def publish(warehouse: Path, periods: list[str]) -> None:
    """What the close does for each month: publish its drafts into finance.* (in order)."""
    with duckdb_file(str(warehouse)) as con:
        for period in periods:
            publish_period(con, period, f"run-{period}", first_period=periods[0])


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build]:
    folder = tmp_path_factory.mktemp("dbt_engine")
    warehouse = build_warehouse(folder)
    first = dbt_build(folder, "first")
    assert first.returncode == 0, first.output
    # keep the first build's drafts: the second build rewrites marts.*
    first.warehouse = folder / "first.duckdb"
    shutil.copyfile(warehouse, first.warehouse)
    publish(warehouse, ["2026-01", "2026-02", "2026-03"])
    with duckdb_file(str(warehouse)) as con:
        load_batch(con, "crm/deals", [LATE_DEAL])
    second = dbt_build(folder, "second")
    assert second.returncode == 0, second.output
    return first, second


def rows(build: Build, sql: str) -> set[tuple[Any, ...]]:
    return {
        tuple(str(v) if isinstance(v, (dt.date, Decimal)) else v for v in r)
        for r in build.query(sql)
    }


LINES_SQL = """select employee_id, period, component_id, cast(quota_period_start as varchar),
    line_type, cast(amount as varchar) from marts.fct_payout_lines"""
PAYOUTS_SQL = """select employee_id, period, currency, commission, spiff, draw_top_up,
    draw_recovery, adjustments, negative_carry_in, net_payout from marts.fct_payouts"""


def test_first_build_lines(builds: tuple[Build, Build]) -> None:
    first, _ = builds
    assert rows(first, LINES_SQL) == {
        # A1 Q1: 8,000 earns 800; +3,000 (half of D2) -> 11,000 earns 1,000 + 200 = 1,200
        ("A1", "2026-01", "bookings", "2026-01-01", "commission", "800.00"),
        ("A1", "2026-02", "bookings", "2026-01-01", "commission", "400.00"),
        ("A1", "2026-02", "spring-logo", "2026-01-01", "spiff", "150.00"),
        ("A1", "2026-03", "renewals", "2026-01-01", "commission", "100.00"),
        # A2 Q1: 3,000 earns 300, +4,000 earns 400; the clawback on 2026-04-05 counts in Q2
        ("A2", "2026-02", "bookings", "2026-01-01", "commission", "300.00"),
        ("A2", "2026-02", "spring-logo", "2026-01-01", "spiff", "150.00"),
        ("A2", "2026-03", "bookings", "2026-01-01", "commission", "400.00"),
        ("A2", "2026-04", "bookings", "2026-04-01", "commission", "-400.00"),
        ("N1", "2026-02", "bookings", "2026-01-01", "commission", "300.00"),
    }


def test_first_build_payouts(builds: tuple[Build, Build]) -> None:
    first, _ = builds
    d = Decimal
    got = {r[:2]: r[2:] for r in first.query(PAYOUTS_SQL)}
    zero = d("0.00")
    assert got == {
        ("A1", "2026-01"): ("USD", d("800"), zero, zero, zero, zero, zero, d("800")),
        ("A1", "2026-02"): ("USD", d("400"), d("150"), zero, zero, zero, zero, d("550")),
        ("A1", "2026-03"): ("USD", d("100"), zero, zero, zero, d("50"), zero, d("150")),
        ("A1", "2026-04"): ("USD", zero, zero, zero, zero, zero, zero, zero),
        ("A2", "2026-01"): ("USD", zero, zero, zero, zero, zero, zero, zero),
        ("A2", "2026-02"): ("USD", d("300"), d("150"), zero, zero, zero, zero, d("450")),
        ("A2", "2026-03"): ("USD", d("400"), zero, zero, zero, zero, zero, d("400")),
        # a negative month pays 0 (its -400 carries into May, after through_period)
        ("A2", "2026-04"): ("USD", d("-400"), zero, zero, zero, zero, zero, zero),
        # recoverable draw of 1,000: top-ups 1,000 and 700 (balance 1,700), none after February
        ("N1", "2026-01"): ("USD", zero, zero, d("1000"), zero, zero, zero, d("1000")),
        ("N1", "2026-02"): ("USD", d("300"), zero, d("700"), zero, zero, zero, d("1000")),
        ("N1", "2026-03"): ("USD", zero, zero, zero, zero, zero, zero, zero),
        ("N1", "2026-04"): ("USD", zero, zero, zero, zero, zero, zero, zero),
    }


@pytest.mark.parametrize("which", [0, 1])
def test_payouts_equal_the_sum_of_their_lines(builds: tuple[Build, Build], which: int) -> None:
    build = builds[which]
    mismatches = build.query("""
        select p.employee_id, p.period, p.commission, p.spiff, l.commission, l.spiff
        from marts.fct_payouts as p
        full join (
            select employee_id, period,
                sum(amount) filter (where line_type <> 'spiff') as commission,
                sum(amount) filter (where line_type = 'spiff') as spiff
            from marts.fct_payout_lines group by all
        ) as l using (employee_id, period)
        where coalesce(p.commission, 0) <> coalesce(l.commission, 0)
            or coalesce(p.spiff, 0) <> coalesce(l.spiff, 0)
            or p.net_payout <> greatest(0, p.commission + p.spiff + p.draw_top_up
                - p.draw_recovery + p.adjustments + p.negative_carry_in)
    """)
    assert mismatches == []


def test_attainment(builds: tuple[Build, Build]) -> None:
    first, _ = builds
    got = rows(
        first,
        """select employee_id, period, cast(credit_to_date as varchar),
        cast(attainment as varchar), cast(earnings_to_date as varchar) from marts.fct_attainment
        where component_id = 'bookings' and employee_id = 'A1'""",
    )
    assert ("A1", "2026-02", "11000.0000000000", "1.1000000000", "1200.0000000000") in got
    assert ("A1", "2026-04", "0E-10", "0E-10", "0E-10") in got or (
        "A1",
        "2026-04",
        "0.0000000000",
        "0.0000000000",
        "0.0000000000",
    ) in got


def test_late_credit_in_a_published_month_is_restated_next_month(
    builds: tuple[Build, Build],
) -> None:
    _, second = builds
    # only April is a draft now; D6 (2,000 dated 2026-02-25) lifts A1's Q1 to 13,000, which
    # earns 1,000 + 3,000 x 20% = 1,600; 1,200 was published: April restates 400
    assert rows(second, LINES_SQL) == {
        ("A1", "2026-04", "bookings", "2026-01-01", "restatement", "400.00"),
        ("A2", "2026-04", "bookings", "2026-04-01", "commission", "-400.00"),
    }
    got = {r[:2]: r[2:] for r in second.query(PAYOUTS_SQL)}
    assert set(got) == {("A1", "2026-04"), ("A2", "2026-04"), ("N1", "2026-04")}
    assert got[("A1", "2026-04")][-1] == Decimal("400.00")
    # N1's published draw balance (1,700) is carried, nothing to recover from 0
    assert got[("N1", "2026-04")][4] == Decimal("0.00")
