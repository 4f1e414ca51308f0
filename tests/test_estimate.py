"""The deal estimator against the engine: its figures are the change of the drafts once the deal
is in the CRM and the months are recomputed (docs/modelling.md, "The deal estimator").

One workspace, first_period 2026-01, January closed, drafts through March. Five hypothetical
deals dated February, one per case, each estimated from the same drafts:
- E1 crosses a tier (marginal 10% to quota 100,000, 20% above; 80,000 credited in January and
  10,000 in March): February +8,000 (20,000 at 10% and 30,000 at 20%), March +1,000 (its
  10,000 now all at 20%);
- E2 reaches a cap (flat 10%, cap 5,000; 40,000 credited): +1,000, not +3,000;
- E3 and E4 split a deal 60/40 (E3's deal, ``--split E4=40``): +600 and +400;
- E5's deal rolls up to her manager M1 (a roll-up plan at 2%): +2,000 and +400;
- E6's deal qualifies for a 750 SPIFF: +1,500 commission and +750 SPIFF.
Then the five deals land in one batch, the drafts are recomputed, and every line's change
equals the estimate; nothing in finance changed while estimating.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from scenarios import Scenario, deal, flat_component, plan_yaml, runner

from openspm.cli import app
from openspm.estimate import EstimateError, estimate_deal, explain, make_deal
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace

pytestmark = pytest.mark.slow

EMPLOYEES = ["E1", "E2", "E3", "E4", "E5", "E6", "M1"]
TIERED = (
    "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [direct, split]\n    quota_period: year\n    rates:\n"
    "      method: marginal\n      tiers:\n        - {from: 0.0, rate: 0.10}\n"
    "        - {from: 1.0, rate: 0.20}\n"
)
CAPPED = (
    "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [direct, split]\n    cap: 5000\n    rates: {method: flat, rate: 0.10}\n"
)
ROLLUP = (
    "  - id: team\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [rollup]\n    rates: {method: flat, rate: 0.02}\n"
)
SPIFF = (
    "spiffs:\n  - id: big-logo\n    deal_types: [new_business]\n    from: 2026-01-01\n"
    "    to: 2026-12-31\n    min_amount: 10000\n    amount: 750\n"
)
CASES = {  # hypothetical deal -> the estimate's expected change per employee in February
    "tier": (("E1", "50000", ()), {"E1": Decimal("8000.00")}),
    "cap": (("E2", "30000", ()), {"E2": Decimal("1000.00")}),
    "split": (("E3", "10000", ("E4=40",)), {"E3": Decimal("600.00"), "E4": Decimal("400.00")}),
    "rollup": (("E5", "20000", ()), {"E5": Decimal("2000.00"), "M1": Decimal("400.00")}),
    "spiff": (("E6", "15000", ()), {"E6": Decimal("2250.00")}),
}


def _finance_checksum(root: Path) -> list[tuple]:
    with duckdb_file(str(root / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'finance' "
            "order by 1"
        ).fetchall()
        return [
            (t, *con.execute(f"select count(*), sum(hash(x)) from finance.{t} as x").fetchone())
            for (t,) in tables
        ]


def _lines(s: Scenario) -> dict[tuple[str, str, str, str], Decimal]:
    """(employee, plan, component, period) -> amount of the draft lines of February and March."""
    rows = s.query(
        "select employee_id, plan_id, component_id, period, sum(amount) from "
        "marts.fct_payout_lines where period in ('2026-02', '2026-03') group by all"
    )
    return {(e, p, c, m): a for e, p, c, m, a in rows}


def _drafts(s: Scenario) -> None:
    result = runner.invoke(
        app, ["run", "--through", "2026-03", "--workspace", str(s.root), "--quiet"]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    s = Scenario(tmp_path_factory.mktemp("estimate") / "ws", "2026-01", EMPLOYEES)
    s.write_plan("TIER", plan_yaml("TIER", components=TIERED))
    s.write_plan("CAP", plan_yaml("CAP", components=CAPPED))
    s.write_plan("FLAT", plan_yaml("FLAT", components=flat_component("nb", "0.10")))
    s.write_plan("MGR", plan_yaml("MGR", components=ROLLUP))
    s.write_plan(
        "SPIFF", plan_yaml("SPIFF", components=flat_component("nb", "0.10"), extra=SPIFF)
    )
    s.assignments(
        [
            ("E1", "TIER", "2026-01-01", ""),
            ("E2", "CAP", "2026-01-01", ""),
            ("E3", "FLAT", "2026-01-01", ""),
            ("E4", "FLAT", "2026-01-01", ""),
            ("E5", "FLAT", "2026-01-01", ""),
            ("E6", "SPIFF", "2026-01-01", ""),
            ("M1", "MGR", "2026-01-01", ""),
        ]
    )
    s.write_comp(
        "quotas.csv",
        "employee_id,plan_id,component_id,period_start,quota\nE1,TIER,nb,2026-01-01,100000\n",
    )
    s.land(
        "hris/job_history",
        [
            {
                "employee_id": "E5",
                "effective_date": "2025-01-01",
                "job_title": "Account Executive",
                "manager_id": "M1",
                "status": "active",
                "modified_at": "2025-06-01T00:00:00Z",
            }
        ],
    )
    s.deals(
        deal("D1", "E1", "2026-01-10", "80000"),
        deal("D1M", "E1", "2026-03-10", "10000"),
        deal("D2", "E2", "2026-01-12", "40000"),
        deal("D5", "E5", "2026-01-14", "5000"),
    )
    s.closed("2026-01")
    _drafts(s)
    return s


@pytest.fixture(scope="module")
def estimates(scenario: Scenario) -> dict:
    ws = Workspace.open(scenario.root)
    before = _finance_checksum(scenario.root)
    found = {}
    for case, ((owner, amount, splits), _) in CASES.items():
        found[case] = estimate_deal(
            ws, make_deal(owner, amount, "2026-02-15", "new_business", splits=list(splits))
        )
    assert _finance_checksum(scenario.root) == before  # estimating changes nothing in finance
    return found


def test_the_estimates_show_what_each_case_adds(estimates: dict) -> None:
    for case, (_, expected) in CASES.items():
        totals = {e: now for (e, _currency), (now, _later) in estimates[case].totals().items()}
        assert totals == expected, (case, explain(estimates[case]))
    tier = estimates["tier"].changes[0]
    assert [(t.tier_number, t.credit) for t in tier.tiers] == [
        (1, Decimal("20000")),
        (2, Decimal("30000")),
    ]
    assert [(m.period, m.line_change) for m in tier.months] == [
        ("2026-02", Decimal("8000.00")),
        ("2026-03", Decimal("1000.00")),
    ]
    assert estimates["cap"].changes[0].capped
    spiff = {c.kind: c.in_month for c in estimates["spiff"].changes}
    assert spiff == {"commission": Decimal("1500.00"), "spiff": Decimal("750.00")}
    rollup = {c.employee_id: c.credit_type for c in estimates["rollup"].credits}
    assert rollup == {"E5": "direct", "M1": "rollup"}
    assert "tier 2 (100% and above) at 20%" in explain(estimates["tier"])


def test_the_estimates_equal_the_recomputed_drafts(scenario: Scenario, estimates: dict) -> None:
    before = _lines(scenario)
    scenario.deals(
        deal("W1", "E1", "2026-02-15", "50000"),
        deal("W2", "E2", "2026-02-15", "30000"),
        deal("W3", "E3", "2026-02-15", "10000"),
        deal("W5", "E5", "2026-02-15", "20000"),
        deal("W6", "E6", "2026-02-15", "15000"),
    )
    scenario.land(
        "crm/deal_splits",
        [
            {"split_id": "S1", "deal_id": "W3", "owner_id": "UE3", "split_type": "revenue",
             "split_percent": "60", "modified_at": "2026-02-16T00:00:00Z"},
            {"split_id": "S2", "deal_id": "W3", "owner_id": "UE4", "split_type": "revenue",
             "split_percent": "40", "modified_at": "2026-02-16T00:00:00Z"},
        ],
    )  # fmt: skip
    _drafts(scenario)
    after = _lines(scenario)
    recomputed: dict[tuple, Decimal] = defaultdict(Decimal)
    for key in before.keys() | after.keys():
        change = after.get(key, Decimal(0)) - before.get(key, Decimal(0))
        if change:
            recomputed[key] += change
    estimated: dict[tuple, Decimal] = defaultdict(Decimal)
    for estimate in estimates.values():
        for change in estimate.changes:
            for month in change.months:
                if month.line_change:
                    key = (change.employee_id, change.plan_id, change.component_id, month.period)
                    estimated[key] += month.line_change
    assert dict(recomputed) == dict(estimated)


def test_refusals_name_the_cause(scenario: Scenario) -> None:
    ws = Workspace.open(scenario.root)
    with pytest.raises(EstimateError, match="2026-01, which is closed"):
        estimate_deal(ws, make_deal("E1", "100", "2026-01-20", "new_business"))
    with pytest.raises(EstimateError, match="employee NOPE is not in hris/employees"):
        estimate_deal(ws, make_deal("NOPE", "100", "2026-02-20", "new_business"))
    with pytest.raises(EstimateError, match="add up to 120"):
        make_deal("E1", "100", "2026-02-20", "new_business", splits=["E2=70", "E3=50"])
    result = runner.invoke(
        app,
        ["estimate", "--workspace", str(scenario.root), "--employee", "E1", "--amount", "-5",
         "--date", "2026-02-20", "--deal-type", "new_business"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--amount '-5' must be a positive amount" in result.output


def test_the_dagster_job_answers_the_same(scenario: Scenario) -> None:
    from pipelines.definitions import defs

    deal_config = {"employee": "E3", "amount": "5000", "date": "2026-02-20",
                   "deal_type": "new_business"}  # fmt: skip
    result = defs.resolve_job_def("estimate_job").execute_in_process(
        run_config={
            "resources": {"workspace": {"config": {"path": str(scenario.root)}}},
            "ops": {"estimate_deal_op": {"config": deal_config}},
        }
    )
    assert result.success
    output = result.output_for_node("estimate_deal_op")
    assert output["totals"] == [
        {"employee_id": "E3", "currency": "USD", "in_month": "500.00", "later": "0.00"}
    ]
    library = estimate_deal(
        Workspace.open(scenario.root), make_deal("E3", "5000", "2026-02-20", "new_business")
    )
    assert output == library.as_dict()
