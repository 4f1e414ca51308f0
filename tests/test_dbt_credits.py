"""Crediting (docs/contract.md section 4, rules 1-5) on a hand-made warehouse.

The raw tables are created as docs/raw-layer.md describes them; the comp tables are written by
``openspm.comp.write_comp_tables`` from real plan files and CSVs. Two warehouses are built in
parallel, each by one ``dbt build`` (unit tests, models, data tests) with its own target and log
folders: a good one whose credits are checked row by row, and a bad one (a hierarchy cycle, an
unknown manager, a missing fx rate, an unmapped owner) whose build must fail and name them.

The good organisation (all from 2025-01-01 unless said)::

    Carla Chen E0 (CEO, no plan)
      Vera Voss V1 (MGR)                    Victor Vance V2 (MGR)
        Mia Moss M1 (MGR)                     Max Mills M2 (MGR) Mar-Apr 2026, else under V1
          Rita Ruiz R1 until 2026-03-14         Rita Ruiz R1 from 2026-03-15
                                                Raj Rao R2 (AE-USD)
      Olga Ortiz O1 (OVL)
    Rita Ruiz holds AE-USD until 2026-03-15, then AE-EUR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from raw_fixtures import create_raw_tables, load_batch

from openspm.comp import load_comp_config, write_comp_tables
from openspm.warehouse import duckdb_file

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT = REPO / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
MODIFIED = "2026-06-30T00:00:00Z"

EMPLOYEES = {
    "E0": ("Carla", "Chen"),
    "V1": ("Vera", "Voss"),
    "V2": ("Victor", "Vance"),
    "M1": ("Mia", "Moss"),
    "M2": ("Max", "Mills"),
    "R1": ("Rita", "Ruiz"),
    "R2": ("Raj", "Rao"),
    "O1": ("Olga", "Ortiz"),
}

# (employee, effective_date, manager, title)
JOBS = [
    ("E0", "2025-01-01", "", "CEO"),
    ("V1", "2025-01-01", "E0", "VP"),
    ("V2", "2025-01-01", "E0", "VP"),
    ("M1", "2025-01-01", "V1", "Manager"),
    ("M2", "2025-01-01", "V1", "Manager"),
    ("M2", "2026-03-01", "V2", "Manager"),  # under V2 for March and April ...
    ("M2", "2026-05-01", "V1", "Manager"),  # ... and back
    ("R1", "2025-01-01", "M1", "AE"),
    ("R1", "2026-03-15", "M2", "AE"),  # R1 changes manager mid-March
    ("R1", "2026-06-01", "M2", "Senior AE"),  # a title change under the same manager
    ("R2", "2025-01-01", "M2", "AE"),
    ("O1", "2025-01-01", "E0", "Overlay"),
]

USERS = {"U1": "R1", "U2": "R2", "U3": "O1", "U4": "M1"}


def deal(
    deal_id: str, owner: str, deal_type: str, close: str, amount: str, currency: str, **extra: str
) -> dict[str, str]:
    return {
        "deal_id": deal_id,
        "account_id": "A1",
        "owner_id": owner,
        "deal_type": deal_type,
        "stage": "closed_won",
        "is_won": "true",
        "close_date": close,
        "amount": amount,
        "currency": currency,
        "modified_at": MODIFIED,
    } | extra


DEALS = [
    deal("D1", "U1", "new_business", "2026-03-10", "1000.00", "USD"),
    deal("D2", "U1", "new_business", "2026-03-20", "1000.00", "EUR"),
    deal("D3", "U2", "renewal", "2026-02-10", "500.00", "GBP"),
    deal("D4", "U2", "new_business", "2026-01-15", "2000.00", "USD", cancelled_date="2026-03-01"),
    deal("D5", "U2", "expansion", "2026-01-20", "3000.00", "USD", cancelled_date="2026-03-31"),
    deal("D6", "U1", "new_business", "2026-02-01", "700.00", "USD", is_won="false"),
    deal("D7", "U1", "new_business", "2026-02-01", "800.00", "USD", is_deleted="true"),
    deal("D8", "U1", "new_business", "2025-12-15", "100.00", "USD"),
    deal("D9", "U4", "new_business", "2026-02-15", "300.00", "USD", cancelled_date="2026-06-30"),
]

# (split, deal, owner, type, percent)
SPLITS = [
    ("S1", "D1", "U1", "revenue", "60"),
    ("S2", "D1", "U2", "revenue", "40"),
    ("S3", "D2", "U1", "revenue", "60"),
    ("S4", "D2", "U2", "revenue", "40"),
    ("S5", "D3", "U3", "overlay", "10"),
]

FX_RATES = [
    ("2026-01-01", "EUR", "USD", "1.10"),
    ("2026-03-15", "EUR", "USD", "1.20"),
    ("2026-03-25", "EUR", "USD", "1.30"),
    ("2026-01-01", "USD", "GBP", "0.8"),
]


def plan_yaml(plan_id: str, currency: str, components: str, clawback: int | None) -> str:
    text = (
        f"id: {plan_id}\nname: {plan_id} plan\ncurrency: {currency}\n"
        "effective_from: 2026-01-01\neffective_to: 2026-12-31\ncomponents:\n" + components
    )
    return text + (f"clawback:\n  window_days: {clawback}\n" if clawback else "")


def component(component_id: str, deal_types: str, credit_types: str) -> str:
    return (
        f"  - id: {component_id}\n    measure: bookings\n    deal_types: [{deal_types}]\n"
        f"    credit_types: [{credit_types}]\n    rates: {{method: flat, rate: 0.1}}\n"
    )


PLANS = {
    "AE-USD": plan_yaml(
        "AE-USD",
        "USD",
        component("bookings", "new_business, expansion", "direct, split")
        + component("renewals", "renewal", "direct, split"),
        90,
    ),
    "AE-EUR": plan_yaml(
        "AE-EUR",
        "EUR",
        component("bookings", "new_business, expansion, renewal", "direct, split"),
        None,
    ),
    "MGR": plan_yaml(
        "MGR", "USD", component("team", "new_business, expansion, renewal", "rollup"), 60
    ),
    "OVL": plan_yaml("OVL", "USD", component("overlay", "new_business", "overlay"), None),
}

ASSIGNMENTS = """employee_id,plan_id,effective_from,effective_to,target_incentive
R1,AE-USD,2026-01-01,2026-03-15,50000
R1,AE-EUR,2026-03-16,,45000
R2,AE-USD,2026-01-01,,50000
M1,MGR,2026-01-01,,30000
M2,MGR,2026-01-01,,30000
V1,MGR,2026-01-01,,40000
V2,MGR,2026-01-01,,40000
O1,OVL,2026-01-01,,20000
"""


def write_comp(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Plan files and CSVs in a workspace folder, validated and written as comp.* tables."""
    plans = root / "comp" / "plans"
    plans.mkdir(parents=True)
    for plan_id, text in PLANS.items():
        (plans / f"{plan_id.lower()}.yaml").write_text(text)
    (root / "comp" / "plan_assignments.csv").write_text(ASSIGNMENTS)
    (root / "comp" / "quotas.csv").write_text(
        "employee_id,plan_id,component_id,period_start,quota\n"
    )
    config = load_comp_config(root, known_employees=set(EMPLOYEES))
    write_comp_tables(config, con)


def load_landing(
    con: duckdb.DuckDBPyConnection,
    *,
    jobs: list[tuple[str, str, str, str]],
    deals: list[dict[str, str]],
    users: dict[str, str],
    fx_rates: list[tuple[str, str, str, str]],
) -> None:
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
                "effective_date": d,
                "manager_id": m,
                "job_title": t,
                "status": "active",
                "modified_at": MODIFIED,
            }
            for e, d, m, t in jobs
        ],
    )
    load_batch(
        con,
        "crm/users",
        [
            {"user_id": u, "employee_id": e, "email": f"{u}@example.com", "modified_at": MODIFIED}
            for u, e in users.items()
        ],
    )
    load_batch(con, "crm/deals", deals)
    load_batch(
        con,
        "crm/deal_splits",
        [
            {
                "split_id": s,
                "deal_id": d,
                "owner_id": o,
                "split_type": t,
                "split_percent": p,
                "modified_at": MODIFIED,
            }
            for s, d, o, t, p in SPLITS
        ],
    )
    load_batch(
        con,
        "erp/fx_rates",
        [
            {"rate_date": d, "from_currency": f, "to_currency": t, "rate": r}
            for d, f, t, r in fx_rates
        ],
    )


# ---------------------------------------------------------------------------------------------
# dbt runs


@dataclass
class Build:
    warehouse: Path
    returncode: int
    output: str
    run_results: dict[str, Any]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb_file(str(self.warehouse), read_only=True) as con:
            return con.sql(sql).fetchall()

    def statuses(self) -> dict[str, str]:
        return {r["unique_id"]: r["status"] for r in self.run_results.get("results", [])}


def start_build(folder: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "OPENSPM_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        DBT,
        "build",
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
    ]
    return subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(folder: Path, process: subprocess.Popen[str]) -> Build:
    output, _ = process.communicate(timeout=300)
    results_file = folder / "target" / "run_results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return Build(folder / "warehouse.duckdb", process.returncode, output, results)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build]:
    root = tmp_path_factory.mktemp("dbt_credits")
    good, bad = root / "good", root / "bad"
    for folder in (good, bad):
        folder.mkdir()
    with duckdb_file(str(good / "warehouse.duckdb")) as con:
        load_landing(con, jobs=JOBS, deals=DEALS, users=USERS, fx_rates=FX_RATES)
        write_comp(con, good / "workspace")
    with duckdb_file(str(bad / "warehouse.duckdb")) as con:
        load_landing(
            con,
            jobs=[
                *JOBS,
                ("V1", "2026-05-01", "M1", "VP"),  # M1 -> V1 -> M1 from May
                ("O1", "2026-02-01", "E404", "Overlay"),  # no such employee
            ],
            deals=[
                *DEALS,
                deal("D10", "U2", "new_business", "2026-02-01", "100", "JPY"),  # no JPY rate
                deal("D11", "U404", "new_business", "2026-02-01", "100", "USD"),  # no such user
            ],
            users=USERS,
            fx_rates=FX_RATES,
        )
        write_comp(con, bad / "workspace")
    runs = [(good, start_build(good)), (bad, start_build(bad))]
    good_build, bad_build = (finish(folder, process) for folder, process in runs)
    return good_build, bad_build


@pytest.fixture(scope="module")
def good(builds: tuple[Build, Build]) -> Build:
    build = builds[0]
    assert build.returncode == 0, build.output
    return build


# ---------------------------------------------------------------------------------------------
# The good warehouse


def test_build_runs_unit_tests_models_and_data_tests(good: Build) -> None:
    statuses = good.statuses()
    kinds = {unique_id.split(".")[0] for unique_id in statuses}
    assert kinds >= {"model", "test", "unit_test"}
    names = {unique_id.split(".")[2] for unique_id in statuses}
    assert {"fct_credits", "int_deal_credits", "int_hierarchy_closure"} <= names
    # the exceptions list is a warning (Carla Chen holds no plan), everything else passes
    not_ok = {u: s for u, s in statuses.items() if s not in ("success", "pass")}
    assert list(not_ok.values()) == ["warn"], not_ok
    assert "no_problem_rows_int_credit_exceptions" in next(iter(not_ok))


# deal, employee, credit_type, credit or reversal, credit_date, plan, component, source_amount,
# fx_rate, amount, currency, rollup_from ('-' = NULL)
EXPECTED_CREDITS_TABLE = """
D1 R1 split  credit   2026-03-10 AE-USD bookings    600 1       600 USD -
D1 R2 split  credit   2026-03-10 AE-USD bookings    400 1       400 USD -
D1 M1 rollup credit   2026-03-10 MGR    team        600 1       600 USD R1
D1 V1 rollup credit   2026-03-10 MGR    team        600 1       600 USD R1
D1 M2 rollup credit   2026-03-10 MGR    team        400 1       400 USD R2
D1 V2 rollup credit   2026-03-10 MGR    team        400 1       400 USD R2
D2 R1 split  credit   2026-03-20 AE-EUR bookings    600 1       600 EUR -
D2 R2 split  credit   2026-03-20 AE-USD bookings    400 1.2     480 USD -
D2 M2 rollup credit   2026-03-20 MGR    team        600 1.2     720 USD R1
D2 V2 rollup credit   2026-03-20 MGR    team        600 1.2     720 USD R1
D2 M2 rollup credit   2026-03-20 MGR    team        400 1.2     480 USD R2
D2 V2 rollup credit   2026-03-20 MGR    team        400 1.2     480 USD R2
D3 R2 direct credit   2026-02-10 AE-USD renewals    500 1.25    625 USD -
D3 M2 rollup credit   2026-02-10 MGR    team        500 1.25    625 USD R2
D3 V1 rollup credit   2026-02-10 MGR    team        500 1.25    625 USD R2
D4 R2 direct credit   2026-01-15 AE-USD bookings   2000 1      2000 USD -
D4 M2 rollup credit   2026-01-15 MGR    team       2000 1      2000 USD R2
D4 V1 rollup credit   2026-01-15 MGR    team       2000 1      2000 USD R2
D4 R2 direct reversal 2026-03-01 AE-USD bookings  -2000 1     -2000 USD -
D4 M2 rollup reversal 2026-03-01 MGR    team      -2000 1     -2000 USD R2
D4 V1 rollup reversal 2026-03-01 MGR    team      -2000 1     -2000 USD R2
D5 R2 direct credit   2026-01-20 AE-USD bookings   3000 1      3000 USD -
D5 M2 rollup credit   2026-01-20 MGR    team       3000 1      3000 USD R2
D5 V1 rollup credit   2026-01-20 MGR    team       3000 1      3000 USD R2
D5 R2 direct reversal 2026-03-31 AE-USD bookings  -3000 1     -3000 USD -
D9 V1 rollup credit   2026-02-15 MGR    team        300 1       300 USD M1
"""
# D1 (USD, 03-10): R1 still under M1 (-> V1); M2 under V2 in March.
# D2 (EUR, 03-20): R1 now on AE-EUR (no conversion) and under M2; R2's USD plan converts at the
#   EUR->USD row of 03-15 (1.2), not the later one of 03-25.
# D3 (GBP renewal, February): only USD->GBP 0.8 exists -> 1 / 0.8 = 1.25; M2 under V1 then; the
#   overlay (a renewal) fits no component of OVL: no row and no exception.
# D4: cancelled 45 days after closing: inside AE-USD's 90 and MGR's 60 days -> three reversals.
# D5: cancelled 70 days after closing: inside AE-USD's window only -> R2's reversal alone.
# D9: M1's own direct credit fits no MGR component; it rolls up to V1.


def expected_credits() -> list[tuple[Any, ...]]:
    rows = []
    for line in EXPECTED_CREDITS_TABLE.strip().splitlines():
        deal_id, emp, kind, what, day, plan, comp, source, fx, amount, cur, frm = line.split()
        rows.append(
            (
                deal_id,
                emp,
                kind,
                what == "reversal",
                day,
                plan,
                comp,
                Decimal(source),
                Decimal(fx),
                Decimal(amount),
                cur,
                None if frm == "-" else frm,
            )
        )
    return sorted(rows)


def test_credits_row_by_row(good: Build) -> None:
    rows = good.query(
        "select deal_id, employee_id, credit_type, is_reversal, strftime(credit_date, '%Y-%m-%d'), "
        "plan_id, component_id, source_amount, fx_rate, amount, currency, rollup_from_employee_id "
        "from marts.fct_credits order by all"
    )
    assert rows == expected_credits()


def test_credit_lineage_period_and_ids(good: Build) -> None:
    rows = good.query(
        "select deal_id, employee_id, credit_type, split_id, rule, deal_type, period, "
        "source_currency, credit_id, md5(concat_ws('|', 'deal', deal_id, "
        "employee_id, credit_type, coalesce(rollup_from_employee_id, ''), plan_id, component_id, "
        "case when is_reversal then 'reversal' else 'credit' end)) "
        "from intermediate.int_component_credits"
    )
    by_key = {(r[0], r[1], r[2], r[3], r[4]): r for r in rows}
    assert by_key[("D1", "R1", "split", "S1", "revenue_split")][5:8] == (
        "new_business",
        "2026-03",
        "USD",
    )
    assert by_key[("D3", "R2", "direct", None, "direct_owner")][5:8] == (
        "renewal",
        "2026-02",
        "GBP",
    )
    assert by_key[("D5", "R2", "direct", None, "clawback")][6] == "2026-03"
    assert by_key[("D2", "M2", "rollup", "S3", "rollup")][6] == "2026-03"
    assert all(r[8] == r[9] for r in rows)  # credit_id is the documented md5
    assert len({r[8] for r in rows}) == len(rows)


def test_contract_columns_and_exact_types(good: Build) -> None:
    columns = good.query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'fct_credits' order by ordinal_position"
    )
    assert [c for c, _ in columns] == [
        "period",
        "credit_id",
        "entry",
        "event_type",
        "event_id",
        "deal_id",
        "employee_id",
        "credit_type",
        "is_reversal",
        "credit_date",
        "quota_period_start",
        "source_amount",
        "source_currency",
        "fx_rate",
        "amount",
        "currency",
        "plan_id",
        "component_id",
        "rollup_from_employee_id",
    ]
    types = dict(columns)
    assert types["source_amount"] == types["amount"] == "DECIMAL(38,14)"
    assert types["fx_rate"] == "DECIMAL(24,12)"


def test_credits_without_an_assignment_are_exceptions(good: Build) -> None:
    rows = good.query(
        "select deal_id, employee_id, credit_type, rollup_from_employee_id "
        "from intermediate.int_credit_exceptions order by all"
    )
    # Carla Chen (E0) holds no plan: every roll-up to her; D8 closed before any assignment
    to_carla = [
        ("D1", "E0", "rollup", "R1"),
        ("D1", "E0", "rollup", "R2"),
        ("D2", "E0", "rollup", "R1"),
        ("D2", "E0", "rollup", "R2"),
        ("D3", "E0", "rollup", "R2"),
        ("D4", "E0", "rollup", "R2"),
        ("D5", "E0", "rollup", "R2"),
        ("D9", "E0", "rollup", "M1"),
    ]
    d8 = [
        ("D8", "E0", "rollup", "R1"),
        ("D8", "M1", "rollup", "R1"),
        ("D8", "R1", "direct", None),
        ("D8", "V1", "rollup", "R1"),
    ]
    assert rows == sorted(to_carla + d8)
    (description,) = good.query(
        "select description from intermediate.int_credit_exceptions "
        "where deal_id = 'D8' and employee_id = 'R1'"
    )[0]
    assert description == (
        "Rita Ruiz (R1) holds no plan assignment on 2025-12-15: the direct credit of deal D8 "
        "(100.00 USD) earns nothing"
    )


def test_hierarchy_closure_follows_every_link_on_each_date(good: Build) -> None:
    rows = good.query(
        "select ancestor_id, depth, valid_from::varchar, valid_to::varchar "
        "from intermediate.int_hierarchy_closure where employee_id = 'R1' "
        "order by valid_from, depth"
    )
    assert rows == [
        ("M1", 1, "2025-01-01", "2026-03-14"),
        ("V1", 2, "2025-01-01", "2026-03-14"),
        ("E0", 3, "2025-01-01", "2026-03-14"),
        ("M2", 1, "2026-03-15", "9999-12-31"),  # the title change of 06-01 does not split it
        ("V2", 2, "2026-03-15", "2026-04-30"),
        ("E0", 3, "2026-03-15", "2026-04-30"),
        ("V1", 2, "2026-05-01", "9999-12-31"),
        ("E0", 3, "2026-05-01", "9999-12-31"),
    ]


def test_no_blocking_problems_and_credits_reconcile(good: Build) -> None:
    for model in ("int_hierarchy_problems", "int_deal_credit_problems", "int_fx_missing_rates"):
        assert good.query(f"select count(*) from intermediate.{model}") == [(0,)], model
    statuses = good.statuses()
    (reconciliation,) = [u for u in statuses if "assert_deal_credits_reconcile" in u]
    assert statuses[reconciliation] == "pass"
    # person-level direct + split credits of each won deal sum to its amount, in deal currency
    sums = good.query(
        "select deal_id, sum(source_amount) from intermediate.int_deal_credits "
        "where credit_type in ('direct', 'split') group by deal_id order by deal_id"
    )
    assert sums == [
        ("D1", Decimal(1000)),
        ("D2", Decimal(1000)),
        ("D3", Decimal(500)),
        ("D4", Decimal(2000)),
        ("D5", Decimal(3000)),
        ("D8", Decimal(100)),
        ("D9", Decimal(300)),
    ]


# ---------------------------------------------------------------------------------------------
# The bad warehouse: blocking problems fail the build and name who is at fault


def test_blocking_problems_fail_the_build_with_names(builds: tuple[Build, Build]) -> None:
    bad = builds[1]
    assert bad.returncode != 0
    failed = sorted(u.split(".")[2] for u, s in bad.statuses().items() if s in ("fail", "error"))
    assert failed == [
        "no_problem_rows_int_deal_credit_problems_description",
        "no_problem_rows_int_fx_missing_rates_description",
        "no_problem_rows_int_hierarchy_problems_description",
    ], bad.output
    for expected in (
        "hierarchy cycle from 2026-05-01 to open: Mia Moss (M1) -> Vera Voss (V1) -> Mia Moss (M1)",
        "hierarchy cycle from 2026-05-01 to open: "
        "Vera Voss (V1) -> Mia Moss (M1) -> Vera Voss (V1)",
        "Olga Ortiz (O1) reports to manager_id E404, who is no employee",
        "no fx rate JPY->USD (nor USD->JPY) dated on or before 2026-02-01",
        "(employees Max Mills (M2), Raj Rao (R2), Vera Voss (V1))",
        "won deal D11: owner U404 is no CRM user (crm/users)",
    ):
        assert expected in bad.output, expected
    # the problem lists are models a close report can read
    assert bad.query(
        "select kind, employee_name from intermediate.int_hierarchy_problems order by all"
    ) == [("cycle", "Mia Moss"), ("cycle", "Vera Voss"), ("unknown_manager", "Olga Ortiz")]
    assert bad.query(
        "select count(*), count(fx_rate) from marts.fct_credits where deal_id = 'D10'"
    ) == [(3, 0)]  # never converted at 1.0
