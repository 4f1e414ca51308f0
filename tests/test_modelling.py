"""Plan modelling through the real engine (docs/modelling.md): the current plans reproduce a
backfill exactly, a candidate costs what a hand computation says, and finance never changes.

Workspace: first_period 2026-01, plan Q (marginal: 10% up to a yearly quota of 100,000, 20%
above), E1 60,000 in January and 60,000 in February, E2 150,000 in January, E3 50,000 in
February. Current cost: E1 10,000 + 4,000, E2 10,000 + 10,000, E3 5,000 = 39,000.
Candidates (one folder each):
- ``rich``: Q with 30% above quota: + (20,000 + 50,000) x 10% = +7,000 (E2 +5,000, E1 +2,000);
- ``flat``: its own plan FLAT (8% of everything), its own assignments and (empty) quotas:
  8% x 320,000 = 25,600.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from scenarios import Scenario, deal, flat_component, plan_yaml, runner

from openspm.cli import app
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace
from pipelines.runner import run_job

pytestmark = pytest.mark.slow

EMPLOYEES = ["E1", "E2", "E3"]


def marginal(top_rate: str) -> str:
    return (
        "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
        "    credit_types: [direct, split]\n    quota_period: year\n    rates:\n"
        "      method: marginal\n      tiers:\n        - {from: 0.0, rate: 0.10}\n"
        f"        - {{from: 1.0, rate: {top_rate}}}\n"
    )


QUOTAS = "employee_id,plan_id,component_id,period_start,quota\n" + "".join(
    f"{e},Q,nb,2026-01-01,100000\n" for e in EMPLOYEES
)


def _finance(root: Path) -> list[tuple]:
    with duckdb_file(str(root / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'finance' "
            "order by 1"
        ).fetchall()
        return [
            (t, *con.execute(f"select count(*), sum(hash(x)) from finance.{t} as x").fetchone())
            for (t,) in tables
        ]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("modelling")
    s = Scenario(root / "ws", "2026-01", EMPLOYEES)
    s.write_plan("Q", plan_yaml("Q", components=marginal("0.20")))
    s.assignments([(e, "Q", "2026-01-01", "") for e in EMPLOYEES])
    s.write_comp("quotas.csv", QUOTAS)
    s.deals(
        deal("D1", "E1", "2026-01-10", "60000"),
        deal("D2", "E1", "2026-02-10", "60000"),
        deal("D3", "E2", "2026-01-12", "150000"),
        deal("D4", "E3", "2026-02-14", "50000"),
    )
    candidates = root / "candidates"
    (candidates / "rich").mkdir(parents=True)
    (candidates / "rich" / "q.yaml").write_text(plan_yaml("Q", components=marginal("0.30")))
    (candidates / "flat" / "plans").mkdir(parents=True)
    (candidates / "flat" / "plans" / "flat.yaml").write_text(
        plan_yaml("FLAT", components=flat_component("nb", "0.08"))
    )
    (candidates / "flat" / "plan_assignments.csv").write_text(
        "employee_id,plan_id,effective_from,effective_to,target_incentive\n"
        + "".join(f"{e},FLAT,2026-01-01,,60000\n" for e in EMPLOYEES)
    )
    (candidates / "flat" / "quotas.csv").write_text(
        "employee_id,plan_id,component_id,period_start,quota\n"
    )
    s.candidates = candidates  # type: ignore[attr-defined]
    backfill = runner.invoke(
        app, ["backfill", "--from", "2026-01", "--to", "2026-03", "-w", str(s.root), "--quiet"]
    )
    assert backfill.exit_code == 0, backfill.output
    return s


@pytest.fixture(scope="module")
def modelled(scenario: Scenario) -> str:
    before = _finance(scenario.root)
    result = runner.invoke(
        app,
        ["model", "--plans", str(scenario.candidates), "--from", "2026-01", "--to", "2026-03",  # type: ignore[attr-defined]
         "-w", str(scenario.root), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _finance(scenario.root) == before
    return result.output


def test_the_current_plans_reproduce_the_backfill_exactly(
    scenario: Scenario, modelled: str
) -> None:
    for table, draft in (("payouts", "fct_payouts"), ("payout_lines", "fct_payout_lines")):
        modelled_rows = scenario.query(
            f"select * exclude (run_id, scenario) from modelling.{table} "
            "where scenario = 'current' order by all"
        )
        drafts = scenario.query(f"select * from marts.{draft} order by all")
        assert modelled_rows == drafts, table
        assert drafts  # the comparison is not of two empty tables


def test_a_higher_top_tier_costs_what_the_hand_computation_says(
    scenario: Scenario, modelled: str
) -> None:
    summary = dict(
        (name, (cost, change))
        for name, cost, change in scenario.query(
            "select scenario, total_cost, change from modelling.summary"
        )
    )
    assert summary == {
        "current": (Decimal("39000.00"), Decimal("0.00")),
        "flat": (Decimal("25600.00"), Decimal("-13400.00")),
        "rich": (Decimal("46000.00"), Decimal("7000.00")),
    }
    movers = scenario.query(
        "select employee_id, current_cost, scenario_cost, change from modelling.movers "
        "where scenario = 'rich' order by rank"
    )
    assert movers == [
        ("E2", Decimal("20000.00"), Decimal("25000.00"), Decimal("5000.00")),
        ("E1", Decimal("14000.00"), Decimal("16000.00"), Decimal("2000.00")),
    ]
    (row,) = scenario.query(
        "select bookings, cost_of_sales, reps, share_above_quota, top10_share "
        "from modelling.summary where scenario = 'current'"
    )
    assert row == (Decimal("320000.00"), Decimal("0.121875"), 3, Decimal("0.666667"), Decimal(1))
    by_month = scenario.query(
        "select period, cost from modelling.cost_by_month where scenario = 'rich' order by 1"
    )
    assert by_month == [("2026-01", Decimal("31000.00")), ("2026-02", Decimal("15000.00"))]
    assert scenario.query("select plan_id, cost from modelling.cost_by_plan where scenario = "
                          "'flat'") == [("FLAT", Decimal("25600.00"))]  # fmt: skip
    roles = scenario.query("select role, cost from modelling.cost_by_role where scenario = 'rich'")
    assert roles == [("Account Executive", Decimal("46000.00"))]
    assert "current: 39,000.00 USD" in modelled
    assert "rich: 46,000.00 USD, +7,000.00 (+17.9%) against current" in modelled


def test_the_report_has_charts_and_tables(scenario: Scenario, modelled: str) -> None:
    ((report,),) = scenario.query("select report from modelling.runs")
    html = Path(report).read_text()
    markdown = Path(report).with_name("report.md").read_text()
    assert html.count("<svg") >= 5 and "Cost of sales" in html
    assert "| Total cost | 39,000.00 | 25,600.00 | 46,000.00 |" in markdown
    assert "| E2  | Account Executive | 20,000.00 | 25,000.00 | +5,000.00 |" not in markdown
    assert "| E2 E2 Rep | Account Executive | 20,000.00 | 25,000.00 | +5,000.00 |" in markdown


def test_the_dagster_job_models_the_same_after_a_close(scenario: Scenario, modelled: str) -> None:
    scenario.closed("2026-01")  # finance now holds January; modelling still starts from nothing
    before = _finance(scenario.root)
    config = {
        "plans": str(scenario.candidates),  # type: ignore[attr-defined]
        "from_period": "2026-01",
        "to_period": "2026-03",
    }
    run_job(
        "modelling_job",
        Workspace.open(scenario.root),
        op_config={"modelling__results": config},
    )
    assert _finance(scenario.root) == before
    totals = scenario.query("select scenario, total_cost from modelling.summary order by 1")
    assert totals == [
        ("current", Decimal("39000.00")),
        ("flat", Decimal("25600.00")),
        ("rich", Decimal("46000.00")),
    ]
    assert len(scenario.query("select * from modelling.runs")) == 2


def test_bad_candidates_are_named(scenario: Scenario, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(
        app, ["model", "--plans", str(empty), "--from", "2026-01", "--to", "2026-03",
              "-w", str(scenario.root)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "no plan files (*.yaml) in it, nor in a subfolder per scenario" in result.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "q.yaml").write_text(plan_yaml("Q", components=marginal("lots")))
    result = runner.invoke(
        app, ["model", "--plans", str(broken), "--from", "2026-01", "--to", "2026-03",
              "-w", str(scenario.root), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"scenario broken: the plans do not load: {broken}/q.yaml" in result.output
    assert "Traceback" not in result.output
