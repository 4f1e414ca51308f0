"""Contract v1.1 (docs/contract.md) through real closes: money paid or withheld as the rules say.

One workspace, first_period 2026-01, one employee per case, closed January to March with the
changes a company would make between closes:
- E1 hired into a draw plan (draw January-March) from 2026-03-01: no top-up before he holds it;
- E2's assignment corrected after January was paid: the old plan's commission and SPIFF are
  recovered, the new plan's paid;
- E3's plan loses a component after January: what it paid is recovered;
- E4's deal deleted after its commission and 750 SPIFF share were paid: both recovered;
- E5 (draw balance, then a clawback's negative carry) moves to a EUR plan: both convert at the
  rate of the last day of February;
- E6 gets an adjustment for January after January was published: the close is refused naming
  the row; entered for February it is paid;
- E7's credits change late (a deal dated January arrives in February; a January deal is
  re-dated to March): the credit ledger explains the restatement, no credit is published twice;
- E8's quota is corrected after January: a restatement with no credit change, named as such.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from scenarios import Scenario, deal, flat_component, plan_yaml

pytestmark = pytest.mark.slow

EMPLOYEES = ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"]
SPIFF = (
    "spiffs:\n  - id: big-logo\n    deal_types: [new_business]\n    from: 2026-01-01\n"
    "    to: 2026-12-31\n    min_amount: 10000\n    amount: 750\n"
)
MARGINAL = (
    "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [direct, split]\n    quota_period: year\n    rates:\n"
    "      method: marginal\n      tiers:\n        - {from: 0.0, rate: 0.10}\n"
    "        - {from: 1.0, rate: 0.20}\n"
)


def draw(monthly: int, start: str, end: str) -> str:
    return (
        f"draw:\n  kind: recoverable\n  monthly_amount: {monthly}\n  from: {start}\n"
        f"  to: {end}\n"
    )


ASSIGNMENTS = [
    ("E1", "DRAW3", "2026-03-01", ""),
    ("E2", "AE", "2026-01-01", ""),
    ("E3", "AE3", "2026-01-01", ""),
    ("E4", "AE", "2026-01-01", ""),
    ("E5", "DRAW1", "2026-01-01", "2026-02-28"),
    ("E5", "EU", "2026-03-01", ""),
    ("E6", "AE2", "2026-01-01", ""),
    ("E7", "AE", "2026-01-01", ""),
    ("E8", "Q", "2026-01-01", ""),
]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    s = Scenario(tmp_path_factory.mktemp("engine_v11") / "ws", "2026-01", EMPLOYEES)
    s.write_plan("AE", plan_yaml("AE", components=flat_component("nb", "0.10"), extra=SPIFF))
    s.write_plan("AE2", plan_yaml("AE2", components=flat_component("nb", "0.05")))
    s.write_plan(
        "AE3",
        plan_yaml(
            "AE3", components=flat_component("nb", "0.10") + flat_component("kicker", "0.01")
        ),
    )
    s.write_plan(
        "DRAW3",
        plan_yaml("DRAW3", components=flat_component("nb", "0.10"),
                  extra=draw(2500, "2026-01-01", "2026-03-31")),
    )
    s.write_plan(
        "DRAW1",
        plan_yaml("DRAW1", components=flat_component("nb", "0.10"),
                  extra=draw(2500, "2026-01-01", "2026-01-31")),
    )
    s.write_plan("EU", plan_yaml("EU", currency="EUR", components=flat_component("nb", "0.10")))
    s.write_plan("Q", plan_yaml("Q", components=MARGINAL))
    s.assignments(ASSIGNMENTS)
    s.write_comp(
        "quotas.csv",
        "employee_id,plan_id,component_id,period_start,quota\nE8,Q,nb,2026-01-01,100000\n",
    )
    s.land(
        "erp/fx_rates",
        [
            {"rate_date": "2025-12-31", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.10"},
            {"rate_date": "2026-02-28", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.25"},
        ],
    )
    s.deals(
        deal("D2", "E2", "2026-01-10", "100000"),
        deal("D3", "E3", "2026-01-12", "50000"),
        deal("D4", "E4", "2026-01-14", "20000"),
        deal("D5", "E5", "2026-01-15", "5000"),
        deal("D7A", "E7", "2026-01-15", "10000"),
        deal("D8", "E8", "2026-01-20", "150000"),
    )
    s.closed("2026-01")

    # between the January and February closes
    s.assignments(
        [a for a in ASSIGNMENTS if a[0] != "E2"] + [("E2", "AE2", "2026-01-01", "")]
    )
    s.write_plan("AE3", plan_yaml("AE3", components=flat_component("nb", "0.10")))
    s.write_comp(
        "quotas.csv",
        "employee_id,plan_id,component_id,period_start,quota\nE8,Q,nb,2026-01-01,200000\n",
    )
    s.deals(
        deal("D4", "E4", "2026-01-14", "20000", is_deleted="true"),
        deal("D5", "E5", "2026-01-15", "5000", cancelled_date="2026-02-10"),
        deal("D7A", "E7", "2026-03-05", "10000"),  # re-dated from January to March
        deal("D7B", "E7", "2026-01-20", "20000"),  # a January deal delivered late
    )
    s.write_comp(
        "adjustments.csv",
        "adjustment_id,employee_id,period,amount,currency,reason\n"
        "ADJ1,E6,2026-01,300,USD,missed January bonus\n",
    )
    s.refused_february = s.close("2026-02")  # type: ignore[attr-defined]
    s.write_comp(
        "adjustments.csv",
        "adjustment_id,employee_id,period,amount,currency,reason\n"
        "ADJ1,E6,2026-02,300,USD,missed January bonus\n",
    )
    s.closed("2026-02")

    s.deals(deal("D5B", "E5", "2026-03-10", "30000", currency="EUR"))
    s.closed("2026-03")
    return s


def test_no_draw_before_the_draw_plan_is_held(scenario: Scenario) -> None:
    assert scenario.payout("E1", "2026-01") is None
    assert scenario.payout("E1", "2026-02") is None
    march = scenario.payout("E1", "2026-03")
    assert march is not None
    assert (march["draw_top_up"], march["net_payout"]) == (Decimal("2500.00"), Decimal("2500.00"))


def test_a_corrected_assignment_recovers_the_old_plan(scenario: Scenario) -> None:
    assert scenario.lines("E2", "2026-01") == {
        ("AE", "nb", "commission"): Decimal("10000.00"),
        ("AE", "big-logo", "spiff"): Decimal("750.00"),
    }
    assert scenario.lines("E2", "2026-02") == {
        ("AE", "nb", "restatement"): Decimal("-10000.00"),
        ("AE", "big-logo", "spiff"): Decimal("-750.00"),
        ("AE2", "nb", "restatement"): Decimal("5000.00"),
    }
    february = scenario.payout("E2", "2026-02")
    assert february is not None
    assert (february["net_payout"], february["commission"], february["spiff"]) == (
        Decimal("0.00"), Decimal("-5000.00"), Decimal("-750.00"),
    )
    march = scenario.payout("E2", "2026-03")
    assert march is not None and march["negative_carry_in"] == Decimal("-5750.00")


def test_a_removed_component_recovers_what_it_paid(scenario: Scenario) -> None:
    assert scenario.lines("E3", "2026-01")[("AE3", "kicker", "commission")] == Decimal("500.00")
    assert scenario.lines("E3", "2026-02") == {("AE3", "kicker", "restatement"): Decimal("-500.00")}


def test_a_deleted_deal_recovers_its_commission_and_spiff(scenario: Scenario) -> None:
    assert scenario.lines("E4", "2026-02") == {
        ("AE", "nb", "restatement"): Decimal("-2000.00"),
        ("AE", "big-logo", "spiff"): Decimal("-750.00"),
    }


def test_balance_and_negative_carry_convert_when_the_currency_changes(scenario: Scenario) -> None:
    january = scenario.payout("E5", "2026-01")
    assert january is not None
    assert (january["commission"], january["draw_top_up"], january["net_payout"]) == (
        Decimal("500.00"), Decimal("2000.00"), Decimal("2500.00"),
    )
    february = scenario.payout("E5", "2026-02")  # the clawback: -500, no draw in February
    assert february is not None
    assert (february["commission"], february["net_payout"]) == (Decimal("-500.00"), Decimal("0"))
    march = scenario.payout("E5", "2026-03")
    assert march is not None
    # USD -> EUR at 1 / 1.25 = 0.8 on 2026-02-28: balance 2000 -> 1600, carry -500 -> -400
    assert march["currency"] == "EUR"
    assert (march["commission"], march["draw_recovery"], march["negative_carry_in"]) == (
        Decimal("3000.00"), Decimal("1600.00"), Decimal("-400.00"),
    )
    assert march["net_payout"] == Decimal("1000.00")


def test_an_adjustment_for_a_published_month_is_refused_by_row(scenario: Scenario) -> None:
    code, output = scenario.refused_february  # type: ignore[attr-defined]
    assert code == 1
    assert "comp/adjustments.csv row 1" in output and "ADJ1" in output
    assert "2026-01 was published" in output and "enter it for an open month" in output
    february = scenario.payout("E6", "2026-02")
    assert february is not None and february["adjustments"] == Decimal("300.00")
    paid = scenario.query("select adjustment_id, period from finance.adjustments")
    assert paid == [("ADJ1", "2026-02")]


def ledger(scenario: Scenario, period: str) -> list[tuple]:
    return scenario.query(
        "select entry, deal_id, employee_id, plan_id, component_id, quota_period_start, "
        "cast(credit_date as varchar), amount from finance.credits where period = ? "
        "order by all",
        [period],
    )


def test_the_ledger_publishes_late_and_re_dated_credits_once(scenario: Scenario) -> None:
    e7 = [r for r in ledger(scenario, "2026-02") if r[2] == "E7" and r[4] == "nb"]
    assert [(r[0], r[1], r[6], r[7]) for r in e7] == [
        ("add", "D7B", "2026-01-20", Decimal("20000")),
        ("reverse", "D7A", "2026-01-15", Decimal("-10000")),
    ]
    march = [r for r in ledger(scenario, "2026-03") if r[2] == "E7" and r[4] == "nb"]
    assert [(r[0], r[1], r[6], r[7]) for r in march] == [("add", "D7A", "2026-03-05",
                                                            Decimal("10000"))]
    assert scenario.lines("E7", "2026-02")[("AE", "nb", "restatement")] == Decimal("1000.00")
    # summed over every published month, each credit is its current amount, published once
    totals = scenario.query(
        "select credit_id, sum(amount), count(*) filter (where entry = 'add') - "
        "count(*) filter (where entry = 'reverse') from finance.credits group by 1"
    )
    assert all(live in (0, 1) for _, _, live in totals)
    current = dict(
        scenario.query(
            "select credit_id, amount from intermediate.int_credits "
            "where credit_date <= date '2026-03-31'"
        )
    )
    assert {c: a for c, a, _ in totals if a != 0} == {c: a for c, a in current.items() if a != 0}


def test_every_restatement_is_explained_by_the_ledger_or_a_named_cause(
    scenario: Scenario,
) -> None:
    """Each restatement line of February: ledger rows of its key that month, else a quota
    change (published attainment) the engine can name; E8's quota correction is the latter."""
    restated = scenario.query(
        "select employee_id, plan_id, component_id, quota_period_start, amount "
        "from finance.payout_lines where period = '2026-02' and line_type in "
        "('restatement', 'spiff') and amount <> 0"
    )
    changes: dict[tuple, Decimal] = defaultdict(Decimal)
    for entry in ledger(scenario, "2026-02"):
        _, _, employee, plan, component, start, credit_date, amount = entry
        if credit_date < "2026-02-01":  # changes to credits of earlier months
            changes[(employee, plan, component, start)] += amount
    causes = {}
    for employee, plan, component, start, _ in restated:
        key = (employee, plan, component, start)
        if changes.get(key):
            causes[employee] = "credits"
            continue
        quotas = scenario.query(
            "select period, quota from finance.attainment where employee_id = ? and plan_id = ? "
            "and component_id = ? and quota_period_start = ? order by period",
            [employee, plan, component, start],
        )
        assert len({q for _, q in quotas}) > 1, f"unexplained restatement of {key}"
        causes[employee] = "quota"
    assert causes == {
        "E2": "credits", "E3": "credits", "E4": "credits", "E7": "credits", "E8": "quota",
    }
    assert scenario.lines("E8", "2026-02") == {("Q", "nb", "restatement"): Decimal("-5000.00")}


def test_status_and_closes(scenario: Scenario) -> None:
    closes = scenario.query("select period from finance.closes order by 1")
    assert closes == [("2026-01",), ("2026-02",), ("2026-03",)]
    assert Path(scenario.root / "out" / "2026-03" / "close-report.md").exists()


def test_statements_name_the_cause_of_each_restatement(scenario: Scenario) -> None:
    """February's statements (docs/statements.md): E8's restatement comes from the quota
    correction, E4's from the deleted deal, listed by deal."""

    def restatements(employee: str) -> list[dict[str, str]]:
        path = scenario.root / "out" / "2026-02" / "statements" / f"{employee}.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            return [r for r in csv.DictReader(handle) if r["section"].startswith("restatement")]

    [e8] = restatements("E8")
    assert e8["amount"] == "-5000.00"
    assert "the quota was corrected from 100,000.00 to 200,000.00" in e8["detail"]
    e4 = restatements("E4")
    changes = [r for r in e4 if r["section"] == "restatement_change"]
    assert {r["deal_id"] for r in changes} == {"D4"}
    assert all("no longer counts here" in r["detail"] for r in changes)
