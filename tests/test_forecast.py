"""The commission forecast and the month-end accrual through real runs (docs/modelling.md).

January is closed (E1 80,000 of a 100,000 quota, marginal 10% then 20%); in February E2 (flat
10%) has a known 10,000 deal. The open pipeline, forecast as of February:
- P1 E1 50,000 at 50% in February: alone it earns 20,000 x 10% + 30,000 x 20% = 8,000 -> 4,000;
- P2 E1 40,000 at 25% in March: alone (on 80,000) 20,000 x 10% + 20,000 x 20% = 6,000 -> 1,500;
- P3 E2 100,000 at 30% in February: 10,000 -> 3,000;
- P4 E3 20,000 at 40% in March (flat 10% and a 750 SPIFF): (2,000 + 750) x 40% = 1,100;
- P8 E2 5,000 at 10% dated 2026-01-10 (slipped: counted in February): 500 -> 50;
- left out: a lost deal, one without probability, one Omitted.
Expected: E1 February 4,000, March 1,500; E2 February 1,000 + 3,000 + 50 = 4,050; E3 March
1,100. Simulated: E1's March mean is about 0.25 x (0.5 x 8,000 + 0.5 x 6,000) = 1,750, above
the expected 1,500 (P1 and P2 won together cross the quota: tiers). Then P3 is won: it moves
from the forecast to the actuals (E2 February actual 11,000, expected 11,050, not 14,050), the
accrual of February equals what the February close pays, and finance never changed meanwhile.
The close report's outlook after February's close starts in March, where the February deals
still open have slipped.
"""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from scenarios import Scenario, deal, flat_component, plan_yaml, runner

from openspm.cli import app
from openspm.forecast import ForecastRequest, run_forecast
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace

pytestmark = pytest.mark.slow

EMPLOYEES = ["E1", "E2", "E3"]
MARGINAL = (
    "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [direct, split]\n    quota_period: year\n    rates:\n"
    "      method: marginal\n      tiers:\n        - {from: 0.0, rate: 0.10}\n"
    "        - {from: 1.0, rate: 0.20}\n"
)
SPIFF = (
    "spiffs:\n  - id: big-logo\n    deal_types: [new_business]\n    from: 2026-01-01\n"
    "    to: 2026-12-31\n    min_amount: 10000\n    amount: 750\n"
)
PIPELINE_COLUMNS = (
    "deal_id", "account_id", "owner_id", "deal_type", "stage", "is_won", "is_closed",
    "probability", "forecast_category", "close_date", "amount", "currency", "modified_at",
)  # fmt: skip


def land_pipeline(s: Scenario, rows: list[dict[str, str]]) -> None:
    """A crm/deals batch with the forecasting columns (is_closed, probability, category)."""
    s.batch += 1
    folder = s.root / "landing" / "crm" / "deals"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (datetime(2026, 2, 1) + timedelta(minutes=s.batch)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with (folder / f"batch-{s.batch:03d}.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PIPELINE_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {"account_id": "A1", "deal_type": "new_business", "currency": "USD",
                 "modified_at": stamp, "stage": "proposal", "is_won": "false",
                 "is_closed": "false", "forecast_category": "Pipeline"} | row
            )  # fmt: skip


def opportunity(deal_id: str, employee: str, close: str, amount: str, p: str, **extra: str):
    return {"deal_id": deal_id, "owner_id": f"U{employee}", "close_date": close,
            "amount": amount, "probability": p} | extra  # fmt: skip


def _finance(root) -> list[tuple]:
    with duckdb_file(str(root / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'finance' "
            "order by 1"
        ).fetchall()
        return [
            (t, *con.execute(f"select count(*), sum(hash(x)) from finance.{t} as x").fetchone())
            for (t,) in tables
        ]


def _forecast(s: Scenario) -> str:
    result = runner.invoke(app, ["forecast", "-w", str(s.root), "--quiet", "--through", "2026-03"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    s = Scenario(tmp_path_factory.mktemp("forecast") / "ws", "2026-01", EMPLOYEES)
    with (s.root / "openspm.yaml").open("a") as settings:
        settings.write(
            "accounting:\n  commission_expense: 6100 Commission expense\n"
            "  accrued_commissions: 2200 Accrued commissions\n"
        )
    s.write_plan("Q", plan_yaml("Q", components=MARGINAL))
    s.write_plan("FLAT", plan_yaml("FLAT", components=flat_component("nb", "0.10")))
    s.write_plan("SP", plan_yaml("SP", components=flat_component("nb", "0.10"), extra=SPIFF))
    s.assignments(
        [("E1", "Q", "2026-01-01", ""), ("E2", "FLAT", "2026-01-01", ""),
         ("E3", "SP", "2026-01-01", "")]
    )  # fmt: skip
    s.write_comp(
        "quotas.csv",
        "employee_id,plan_id,component_id,period_start,quota\nE1,Q,nb,2026-01-01,100000\n",
    )
    s.deals(deal("D1", "E1", "2026-01-10", "80000"))
    s.closed("2026-01")
    s.deals(deal("W2", "E2", "2026-02-05", "10000"))
    land_pipeline(
        s,
        [
            opportunity("P1", "E1", "2026-02-20", "50000", "50"),
            opportunity("P2", "E1", "2026-03-15", "40000", "25"),
            opportunity("P3", "E2", "2026-02-25", "100000", "30"),
            opportunity("P4", "E3", "2026-03-10", "20000", "40"),
            opportunity("P5", "E1", "2026-02-10", "90000", "0", is_closed="true",
                        stage="closed_lost"),
            opportunity("P6", "E2", "2026-02-10", "90000", ""),
            opportunity("P7", "E2", "2026-02-10", "90000", "60", forecast_category="Omitted"),
            opportunity("P8", "E2", "2026-01-10", "5000", "10"),
        ],
    )  # fmt: skip
    s.before = _finance(s.root)  # type: ignore[attr-defined]
    s.first_output = _forecast(s)  # type: ignore[attr-defined]
    s.first = {  # type: ignore[attr-defined]
        (p, e): (a, x, m, p10, p50, p90)
        for p, e, a, x, m, p10, p50, p90 in s.query(
            "select period, employee_id, actual, expected, sim_mean, p10, p50, p90 "
            "from forecast.by_employee"
        )
    }
    s.first_months = s.query(  # type: ignore[attr-defined]
        "select period, actual, expected from forecast.by_month order by 1"
    )
    s.first_deals = s.query(  # type: ignore[attr-defined]
        "select open_deals, left_out from forecast.runs order by computed_at desc limit 1"
    )
    return s


def test_the_expected_value_is_the_probability_weighted_sum(scenario: Scenario) -> None:
    first = scenario.first  # type: ignore[attr-defined]
    expected = {key: values[1] for key, values in first.items() if values[1]}
    assert expected == {
        ("2026-02", "E1"): Decimal("4000.00"),
        ("2026-03", "E1"): Decimal("1500.00"),
        ("2026-02", "E2"): Decimal("4050.00"),
        ("2026-03", "E3"): Decimal("1100.00"),
    }
    assert first[("2026-02", "E2")][0] == Decimal("1000.00")  # the known February deal
    assert scenario.first_months == [  # type: ignore[attr-defined]
        ("2026-02", Decimal("1000.00"), Decimal("8050.00")),
        ("2026-03", Decimal("0.00"), Decimal("2600.00")),
    ]
    # P5 is closed (lost); P6 has no probability, P7 is Omitted
    assert scenario.first_deals == [(5, "1 no probability, 1 omitted")]  # type: ignore[attr-defined]


def test_the_simulation_plays_the_deals_together(scenario: Scenario) -> None:
    first = scenario.first  # type: ignore[attr-defined]
    _, _, mean, p10, p50, p90 = first[("2026-02", "E2")]
    assert (p10, p50, p90) == (Decimal("1000.00"), Decimal("1000.00"), Decimal("11000.00"))
    assert abs(mean - Decimal("4050")) < Decimal("400")
    _, expected, march_mean, *_ = first[("2026-03", "E1")]
    assert expected == Decimal("1500.00")
    assert abs(march_mean - Decimal("1750")) < Decimal("250")  # tiers: above the expected
    again = runner.invoke(app, ["forecast", "-w", str(scenario.root), "--quiet",
                                "--through", "2026-03"])  # fmt: skip
    assert again.exit_code == 0
    same = scenario.query(
        "select sim_mean from forecast.by_employee where period = '2026-03' "
        "and employee_id = 'E1'"
    )
    assert same == [(march_mean,)]  # the same seed gives the same runs


def test_a_won_deal_moves_from_forecast_to_actuals_and_the_accrual_is_the_close(
    scenario: Scenario,
) -> None:
    assert _finance(scenario.root) == scenario.before  # type: ignore[attr-defined]
    land_pipeline(
        scenario,
        [opportunity("P3", "E2", "2026-02-25", "100000", "100", is_won="true",
                     is_closed="true", stage="closed_won", forecast_category="Closed")],
    )  # fmt: skip
    _forecast(scenario)
    (row,) = scenario.query(
        "select actual, expected, open_deals from forecast.by_employee "
        "where period = '2026-02' and employee_id = 'E2'"
    )
    assert row == (Decimal("11000.00"), Decimal("11050.00"), 1)
    (month,) = scenario.query(
        "select actual, expected from forecast.by_month where period = '2026-02'"
    )
    assert month == (Decimal("11000.00"), Decimal("15050.00"))  # 4,000 + 11,050: no double count
    accrual = {
        (employee, account): (debit, credit)
        for employee, account, debit, credit in scenario.query(
            "select employee_id, account, debit, credit from forecast.accrual "
            "where period = '2026-02'"
        )
    }
    assert accrual == {
        ("E2", "6100 Commission expense"): (Decimal("11000.00"), Decimal("0.00")),
        ("E2", "2200 Accrued commissions"): (Decimal("0.00"), Decimal("11000.00")),
    }
    assert _finance(scenario.root) == scenario.before  # type: ignore[attr-defined]
    scenario.closed("2026-02")
    paid = scenario.query(
        "select employee_id, commission + spiff from finance.payouts where period = '2026-02' "
        "and commission + spiff <> 0"
    )
    assert paid == [("E2", Decimal("11000.00"))]
    report = (scenario.root / "out" / "2026-02" / "close-report.md").read_text()
    assert "## Commission outlook (2026-03 to 2026-12)" in report
    # after the February close P1 and P8 slip into March: 4,000 + 1,500 + 50 + 1,100
    assert "2026-03: actual 0.00, expected 6,650.00" in report


def test_scheduled_amortization_is_read_from_the_last_close(
    scenario: Scenario, tmp_path: Path
) -> None:
    # the scenario's deals are expensed (no term over 12 months): a copy of its warehouse gets
    # the schedule a close with capitalized costs publishes, with two closes' rows
    ws = Workspace.open(scenario.root)
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(ws.warehouse_path, copy)
    wal = ws.warehouse_path.with_name(ws.warehouse_path.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    with duckdb_file(str(copy)) as connection:
        connection.execute(
            "insert into finance.amortization_schedule "
            "(period, currency, schedule_period, months_ahead, amount, run_id, published_at) "
            "values ('2026-01', 'USD', '2026-03', 2, 999.00, 'r1', now()), "
            "('2026-02', 'USD', '2026-03', 1, 250.00, 'r2', now()), "
            "('2026-02', 'USD', '2026-04', 2, 250.00, 'r2', now())"
        )
        result = run_forecast(ws, connection, ForecastRequest(through="2026-04"))
    assert result.has_accounting
    assert {m[0]: m[7] for m in result.months} == {  # the latest close's schedule only
        "2026-03": Decimal("250.00"),
        "2026-04": Decimal("250.00"),
    }
