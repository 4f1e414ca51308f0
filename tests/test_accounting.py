"""Commission accounting (docs/contract.md section 5, docs/accounting.md) through real closes.

One workspace, first_period 2023-01 (so that 36- and 48-month assets end by 2026-12, the last
month Dagster knows), renewals not commensurate with 24 expected renewal months, a flat 10%
plan; closed January to April 2023 with the changes a company would make between closes, then
drafted through 2026-12 (accounting.draft_months 60) to see the last months of the worked
examples:

- the contract's worked examples: A 9,000 over 36 (250.00), B 15,000 over 36 (416.67, 416.55
  last), C 1,000 over 14 (71.43, 71.41 last), D a 6-month contract (expensed), N 30 on a new
  24-month contract over 48 months and R a later 10 on its 24-month renewal over 24;
- M1, E1's manager, capitalizes his roll-up line on the same deal;
- E2's line splits 15,000 / 5,000 between two deals; E12's 100.01 splits 50.01 / 50.00 (the
  tied cent to the first deal_id);
- F: a late amount increase (restatement) adds a February layer; a later decrease writes down
  the newest layer, then the January one partly;
- G and K: clawbacks write the asset down and the excess reverses amortization;
- H: a cancellation outside the clawback window impairs what is left in its month; I's
  cancellation arrives after its month was published: impaired in the first open month;
- J (EUR) makes every month multi-currency; E11 moves from USD to EUR with a negative carry;
- April: expected_renewal_months changes to 12, which applies to costs incurred from then on;
  April's publication is killed half-way and the close run again;
- each accounting gate, tampered with, stops the publication.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from scenarios import Scenario, deal, plan_yaml

from openspm.publish import PUBLISHED_TABLES, CloseRefused, publish_period
from openspm.quality import accounting_checks as ac
from openspm.warehouse import duckdb_file

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
FIRST = "2023-01"
SETTINGS = "accounting:\n  renewals_commensurate: false\n  expected_renewal_months: {months}\n"
ALL_TYPES = "[new_business, expansion, renewal]"
EMPLOYEES = [f"E{n}" for n in range(1, 13)] + ["M1"]


def rep_component(rate: str = "0.10") -> str:
    return (
        f"  - id: nb\n    measure: bookings\n    deal_types: {ALL_TYPES}\n"
        f"    credit_types: [direct, split]\n    rates: {{method: flat, rate: {rate}}}\n"
    )


MANAGER_COMPONENT = (
    f"  - id: team\n    measure: bookings\n    deal_types: {ALL_TYPES}\n"
    "    credit_types: [rollup]\n    rates: {method: flat, rate: 0.01}\n"
)
SPIFF = (
    "spiffs:\n  - id: big-logo\n    deal_types: [new_business]\n    from: 2023-01-01\n"
    "    to: 2023-12-31\n    min_amount: 30000\n    amount: 400\n"
)


def plan(plan_id: str, currency: str = "USD", window: int = 90, **kwargs: str) -> str:
    return plan_yaml(
        plan_id,
        currency=currency,
        effective_from="2023-01-01",
        effective_to="2026-12-31",
        window_days=window,
        **{"components": rep_component()} | kwargs,
    )


ASSIGNMENTS = [
    *((e, "AE", "2023-01-01", "") for e in ("E1", "E2", "E3", "E4", "E5", "E6", "E7", "E12")),
    ("E8", "SHORT", "2023-01-01", ""),
    ("E9", "SHORT", "2023-01-01", ""),
    ("E10", "EU", "2023-01-01", ""),
    ("E11", "AE", "2023-01-01", "2023-02-28"),
    ("E11", "EU", "2023-03-01", ""),
    ("M1", "MGR", "2023-01-01", ""),
]


def renewal(deal_id: str, employee: str, day: str, amount: str, term: str, **extra: str):
    return deal(
        deal_id, employee, day, amount, deal_type="renewal", contract_term_months=term, **extra
    )


def new(deal_id: str, employee: str, day: str, amount: str, term: str, **extra: str):
    return deal(deal_id, employee, day, amount, contract_term_months=term, **extra)


@dataclass
class Books:
    s: Scenario
    drafts_of_april: Path  # the warehouse with the drafts through June, before April's close
    killed_after: str  # the table whose insert the kill followed
    closed_through_march: Path  # a copy of the workspace as March's close left it


def copy_warehouse(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    base = tmp_path_factory.mktemp("accounting")
    s = Scenario(
        base / "ws", FIRST, EMPLOYEES, settings=SETTINGS.format(months=24), since="2022-01-01"
    )
    s.write_plan("AE", plan("AE"))
    s.write_plan("SHORT", plan("SHORT", window=10, extra=SPIFF))
    s.write_plan("EU", plan("EU", currency="EUR"))
    s.write_plan("MGR", plan("MGR", components=MANAGER_COMPONENT))
    s.assignments(ASSIGNMENTS)
    s.land(  # E1 reports to M1
        "hris/job_history",
        [
            {
                "employee_id": "E1",
                "effective_date": "2022-01-01",
                "job_title": "Account Executive",
                "manager_id": "M1",
                "status": "active",
                "modified_at": "2025-06-01T00:00:00Z",
            }
        ],
    )
    s.land(
        "erp/fx_rates",
        [
            {"rate_date": "2022-12-31", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.10"},
            {"rate_date": "2023-02-28", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.25"},
        ],
    )
    january = [
        renewal("A", "E1", "2023-01-03", "90000", "36", contract_start_date="2023-01-05"),
        renewal("B", "E2", "2023-01-04", "150000", "36"),
        renewal("B2", "E2", "2023-01-04", "50000", "36"),
        renewal("C", "E3", "2023-01-05", "10000", "14"),
        renewal("D", "E4", "2023-01-05", "60000", "6"),
        new("N", "E5", "2023-01-06", "300", "24"),
        new("F", "E6", "2023-01-09", "100000", "12"),
        new("G", "E7", "2023-01-10", "50000", "24"),
        new("H", "E8", "2023-01-10", "40000", "12"),
        new("I", "E9", "2023-01-10", "20000", "12"),
        new("J", "E10", "2023-01-11", "80000", "36", currency="EUR"),
        renewal("K", "E11", "2023-01-12", "50000", "36"),
        renewal("Y1", "E12", "2023-01-13", "500.05", "6"),
        renewal("Y2", "E12", "2023-01-13", "500.05", "6"),
    ]
    s.deals(*january)
    s.closed("2023-01")

    s.deals(
        new("F", "E6", "2023-01-09", "120000", "12"),  # late increase of a January credit
        new("H", "E8", "2023-01-10", "40000", "12", cancelled_date="2023-02-20"),
        renewal("K", "E11", "2023-01-12", "50000", "36", cancelled_date="2023-02-10"),
        renewal("R", "E5", "2023-02-05", "100", "24", contract_start_date="2023-02-05"),
    )
    s.closed("2023-02")

    s.deals(
        new("I", "E9", "2023-01-10", "20000", "12", cancelled_date="2023-02-25"),  # late
        new("F", "E6", "2023-01-09", "90000", "12"),
        new("G", "E7", "2023-01-10", "50000", "24", cancelled_date="2023-03-15"),
        new("L", "E11", "2023-03-06", "100000", "36", currency="EUR"),
    )
    s.closed("2023-03")
    march = shutil.copytree(s.root, base / "closed-through-march", symlinks=True)

    # April: the renewal election changes; a new deal is costed under it
    (s.root / "openspm.yaml").write_text(
        (s.root / "openspm.yaml").read_text().replace(
            "expected_renewal_months: 24", "expected_renewal_months: 12"
        )
    )
    s.deals(new("P", "E5", "2023-04-03", "1200", "24"))
    code, output = s.run("2023-06")  # drafts through June: the accounting of April only
    assert code == 0, output
    warehouse = s.root / "warehouse.duckdb"
    drafts = copy_warehouse(warehouse, base / "april-drafts.duckdb")
    killed_after = kill_publication(warehouse, "2023-04", after="deferred_commissions")
    s.closed("2023-04")
    # every open month drafted with its accounting (by default only the next month to close)
    settings = s.root / "openspm.yaml"
    settings.write_text(settings.read_text() + "  draft_months: 60\n")
    code, output = s.run("2026-12")
    assert code == 0, output
    return Books(s, drafts, killed_after, march)


def kill_publication(warehouse: Path, period: str, after: str) -> str:
    """Publish ``period`` in a subprocess and kill it right after the insert into ``after``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "publish_with_pauses.py"), str(warehouse), "5",
         period, FIRST],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            if line.strip() == f"publish: inserted {after}":
                break
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    return after


# ------------------------------------------------------------------------------------ helpers


def layers(s: Scenario, asset: str) -> list[tuple]:
    return s.query(
        "select period, layer_period, event, amount, balance, monthly_amount, first_period, "
        "last_period, months from finance.deferred_commission_layers where asset_id = ? "
        "order by period, layer_period, event",
        [asset],
    )


def roll(s: Scenario, asset: str, period: str, table: str = "finance.deferred_commissions"):
    rows = s.query(
        f"select opening, addition, write_down, amortization, impairment, closing "
        f"from {table} where asset_id = ? and period = ?",
        [asset, period],
    )
    return tuple(rows[0]) if rows else None


def journal(s: Scenario, period: str, entry_type: str, deal_id: str | None = None):
    return s.query(
        "select account, debit, credit, currency from finance.journal_entries "
        "where period = ? and entry_type = ? and deal_id is not distinct from ? "
        "and (deal_id is not null or ? is null) order by entry_id, line",
        [period, entry_type, deal_id, deal_id],
    )


def D(text: str) -> Decimal:
    return Decimal(text)


# ------------------------------------------------------------------------- worked examples


def test_worked_examples_amortize_as_the_contract_says(books: Books) -> None:
    s = books.s
    expected = {  # asset: (monthly, months, first, last)
        "A/E1/USD": ("250.00", 36, "2023-01", "2025-12"),
        "B/E2/USD": ("416.67", 36, "2023-01", "2025-12"),
        "C/E3/USD": ("71.43", 14, "2023-01", "2024-02"),
        "N/E5/USD": ("0.63", 48, "2023-01", "2026-12"),
        "R/E5/USD": ("0.42", 24, "2023-02", "2025-01"),
    }
    for asset, (monthly, months, first, last) in expected.items():
        created = [r for r in layers(s, asset) if r[2] == "created"]
        assert [(r[5], r[8], r[6], r[7]) for r in created] == [(D(monthly), months, first, last)]
    assert roll(s, "A/E1/USD", "2023-01") == (
        D("0"), D("9000.00"), D("0"), D("250.00"), D("0"), D("8750.00"),
    )
    assert roll(s, "B/E2/USD", "2023-02")[3] == D("416.67")  # type: ignore[index]
    # the last months, drafted through 2026-12 by the same models the close publishes
    last = {
        "A/E1/USD": ("2025-12", "250.00"),
        "B/E2/USD": ("2025-12", "416.55"),
        "C/E3/USD": ("2024-02", "71.41"),
        "N/E5/USD": ("2026-12", "0.39"),
        "R/E5/USD": ("2025-01", "0.34"),
    }
    for asset, (month, amount) in last.items():
        row = roll(s, asset, month, "marts.fct_deferred_commissions")
        assert row is not None and row[3] == D(amount) and row[5] == 0, (asset, row)
        after = s.query(
            "select count(*) from marts.fct_deferred_commissions where asset_id = ? "
            "and period > ?",
            [asset, month],
        )
        assert after == [(0,)], asset


def test_a_six_month_contract_is_expensed_at_once(books: Books) -> None:
    s = books.s
    assert layers(s, "D/E4/USD") == []
    assert s.query(
        "select treatment, amount from finance.commission_costs where deal_id = 'D'"
    ) == [("expensed", D("6000.00"))]
    assert journal(s, "2023-01", "expense", "D") == [
        ("commission_expense", D("6000.00"), D("0"), "USD")
    ]


def test_a_managers_roll_up_line_is_capitalized_on_the_deal(books: Books) -> None:
    created = [r for r in layers(books.s, "A/M1/USD") if r[2] == "created"]
    assert [(r[3], r[5], r[8]) for r in created] == [(D("900.00"), D("25.00"), 36)]


def test_a_line_splits_by_credit_change_with_largest_remainder_cents(books: Books) -> None:
    s = books.s
    shares = s.query(
        "select employee_id, deal_id, basis, amount, line_amount from finance.commission_costs "
        "where employee_id in ('E2', 'E12') and period = '2023-01' order by 1, 2"
    )
    assert shares == [
        ("E12", "Y1", "change", D("50.01"), D("100.01")),
        ("E12", "Y2", "change", D("50.00"), D("100.01")),
        ("E2", "B", "change", D("15000.00"), D("20000.00")),
        ("E2", "B2", "change", D("5000.00"), D("20000.00")),
    ]


# ---------------------------------------------------------------------- restatements, reductions


def test_a_restatement_adds_a_layer_and_a_reduction_takes_the_newest_first(books: Books) -> None:
    s = books.s
    asset = "F/E6/USD"
    assert layers(s, asset) == [
        ("2023-01", "2023-01", "created", D("10000.00"), D("10000.00"), D("277.78"),
         "2023-01", "2025-12", 36),
        ("2023-02", "2023-02", "created", D("2000.00"), D("2000.00"), D("57.14"),
         "2023-02", "2025-12", 35),
        # March's 3,000 decrease: the February layer (1,942.86 left) first, then 1,057.14
        ("2023-03", "2023-01", "written_down", D("1057.14"), D("8387.30"), D("277.78"),
         "2023-01", "2025-12", 36),
        ("2023-03", "2023-02", "written_down", D("1942.86"), D("0.00"), D("57.14"),
         "2023-02", "2025-12", 35),
    ]
    assert s.query(
        "select line_type, amount from finance.payout_lines where employee_id = 'E6' "
        "and period in ('2023-02', '2023-03') order by period"
    ) == [("restatement", D("2000.00")), ("restatement", D("-3000.00"))]
    assert roll(s, asset, "2023-02") == (
        D("9722.22"), D("2000.00"), D("0"), D("334.92"), D("0"), D("11387.30"),
    )
    # the written-down January layer keeps its 277.78; the emptied February layer stops
    assert roll(s, asset, "2023-03") == (
        D("11387.30"), D("0"), D("3000.00"), D("277.78"), D("0"), D("8109.52"),
    )
    assert journal(s, "2023-03", "write_down", "F") == [
        ("deferred_commissions", D("0"), D("3000.00"), "USD")
    ]


def test_a_clawback_writes_the_asset_down_and_the_excess_reverses_amortization(
    books: Books,
) -> None:
    s = books.s
    # G: 5,000 over 48 months, two months amortized, clawed back in March
    assert roll(s, "G/E7/USD", "2023-03") == (
        D("4791.66"), D("0"), D("4791.66"), D("0"), D("0"), D("0"),
    )
    assert journal(s, "2023-03", "amortization_reversal", "G") == [
        ("commission_amortization", D("0"), D("208.34"), "USD")
    ]
    # K: clawed back in February, after one month
    assert roll(s, "K/E11/USD", "2023-02") == (
        D("4861.11"), D("0"), D("4861.11"), D("0"), D("0"), D("0"),
    )
    assert journal(s, "2023-02", "amortization_reversal", "K") == [
        ("commission_amortization", D("0"), D("138.89"), "USD")
    ]


def test_a_cancellation_impairs_what_is_left(books: Books) -> None:
    s = books.s
    # H: 4,000 + its 400 SPIFF over 36 months; cancelled in February outside the window
    assert [r[5] for r in layers(s, "H/E8/USD") if r[2] == "created"] == [D("122.22")]
    assert roll(s, "H/E8/USD", "2023-02") == (
        D("4277.78"), D("0"), D("0"), D("122.22"), D("4155.56"), D("0"),
    )
    assert journal(s, "2023-02", "impairment", "H") == [
        ("commission_impairment", D("4155.56"), D("0"), "USD")
    ]
    assert roll(s, "H/E8/USD", "2023-03") is None  # impaired: never reversed, nothing left
    # I: cancelled 2023-02-25, known only after February was published: impaired in March
    assert roll(s, "I/E9/USD", "2023-02")[4] == 0  # type: ignore[index]
    assert roll(s, "I/E9/USD", "2023-03") == (
        D("1888.88"), D("0"), D("0"), D("55.56"), D("1833.32"), D("0"),
    )


def test_the_tracing_example_of_the_docs(books: Books) -> None:
    """docs/accounting.md, "Tracing a journal number back to deals and payout lines"."""
    s = books.s
    assert s.query(
        "select employee_id, cost_type, plan_id, component_id, basis, weight, amount, "
        "line_amount, treatment from finance.commission_costs "
        "where period = '2023-03' and deal_id = 'F'"
    ) == [("E6", "restatement", "AE", "nb", "change", D("-30000"), D("-3000.00"),
           D("-3000.00"), "reduction")]
    assert s.query(
        "select entry, deal_id, amount from finance.credits where period = '2023-03' "
        "and employee_id = 'E6' and plan_id = 'AE' and component_id = 'nb' "
        "and quota_period_start = date '2023-01-01' and credit_date < date '2023-03-01' "
        "order by entry"
    ) == [("add", "F", D("90000")), ("reverse", "F", D("-120000"))]
    assert s.query(
        "select line, credit, memo from finance.journal_entries "
        "where entry_id = 'OSPM-2023-03-USD-WDN' and deal_id = 'F'"
    ) == [(1, D("3000.00"), "deal F: deferred commission written down")]


# ------------------------------------------------------------------------------- currencies


def test_every_month_balances_per_currency(books: Books) -> None:
    s = books.s
    rows = s.query(
        "select period, currency, sum(debit), sum(credit) from finance.journal_entries "
        "group by all order by all"
    )
    assert {(p, c) for p, c, _, _ in rows} >= {("2023-01", "EUR"), ("2023-01", "USD")}
    assert all(debit == credit for _, _, debit, credit in rows)
    assert [r[5] for r in layers(s, "J/E10/EUR") if r[2] == "created"] == [D("133.33")]


def test_a_payout_currency_change_moves_the_negative_carry(books: Books) -> None:
    s = books.s
    assert s.payout("E11", "2023-02")["net_payout"] == 0  # type: ignore[index]
    march = s.payout("E11", "2023-03")
    assert march is not None and march["currency"] == "EUR"
    assert march["negative_carry_in"] == D("-4000.00")
    carries = s.query(
        "select currency, account_role, debit, credit from finance.journal_entries "
        "where period = '2023-03' and entry_type = 'negative_carry' order by all"
    )
    assert carries == [
        ("EUR", "accrued_commissions", D("4000.00"), D("0")),
        ("EUR", "payroll_clearing", D("0"), D("4000.00")),
        ("USD", "accrued_commissions", D("0"), D("5000.00")),
        ("USD", "payroll_clearing", D("5000.00"), D("0")),
    ]
    # E11's new deal is costed in the new currency: a second asset
    assert [r[5] for r in layers(s, "L/E11/EUR") if r[2] == "created"] == [D("166.67")]
    balances = dict(
        s.query(
            "select currency, sum(debit - credit) from finance.journal_entries "
            "where account_role = 'accrued_commissions' and period <= '2023-02' group by 1"
        )
    )
    assert balances["USD"] == D("5000.00")  # E11 owes 5,000 back at February's end


def test_a_settings_change_applies_to_costs_incurred_from_then_on(books: Books) -> None:
    s = books.s
    created = [r for r in layers(s, "P/E5/USD") if r[2] == "created"]
    assert [(r[5], r[8]) for r in created] == [(D("3.33"), 36)]  # 24 + 12 expected months
    assert [(r[5], r[8]) for r in layers(s, "N/E5/USD")] == [(D("0.63"), 48)]
    assert roll(s, "N/E5/USD", "2023-04")[3] == D("0.63")  # type: ignore[index]


# ------------------------------------------------------------------------------ publication


def test_a_killed_publication_then_the_close_publishes_every_table_once(books: Books) -> None:
    s = books.s
    assert books.killed_after == "deferred_commissions"
    for table in PUBLISHED_TABLES:
        runs = s.query(f"select distinct run_id from finance.{table} where period = '2023-04'")
        assert len(runs) <= 1 and ("killed-run",) not in runs, table
    (close_run,) = s.query("select run_id from finance.closes where period = '2023-04'")[0]
    for table in ("payouts", "commission_costs", "deferred_commissions", "journal_entries"):
        assert s.query(
            f"select distinct run_id from finance.{table} where period = '2023-04'"
        ) == [(close_run,)], table


def test_every_published_month_passes_the_accounting_gates(books: Books) -> None:
    with duckdb_file(str(books.s.root / "warehouse.duckdb"), read_only=True) as connection:
        for period in ("2023-01", "2023-02", "2023-03", "2023-04"):
            for check in ac.ACCOUNTING_CHECKS:
                result = check(connection, period, "finance")
                assert result.passed, (period, result.first_line())


def test_the_schedule_of_the_next_twelve_months_adds_up_to_the_current_portion(
    books: Books,
) -> None:
    s = books.s
    scheduled = s.query(
        "select period, currency, sum(amount), count(*), max(months_ahead) "
        "from finance.amortization_schedule group by all order by all"
    )
    current = s.query(
        "select period, currency, sum(current_portion) from finance.deferred_commissions "
        "where closing > 0 group by all order by all"
    )
    assert [(p, c, a) for p, c, a, _, _ in scheduled] == current
    assert all((n, last) == (12, 12) for *_, n, last in scheduled)
    # after January, February's EUR amortization is J's alone
    ahead = s.query(
        "select amount from finance.amortization_schedule where period = '2023-01' "
        "and currency = 'EUR' and months_ahead = 1"
    )
    assert ahead == [(D("133.33"),)]


TAMPERING = {
    ac.JOURNALS_BALANCE: "update marts.fct_journal_entries set debit = debit + 0.01 "
    "where period = '2023-04' and entry_type = 'amortization' and debit > 0",
    # (marts.fct_deferred_commissions is a view of this table)
    ac.ROLLFORWARD_TIES: "update intermediate.int_deferred_commissions "
    "set closing = closing - 0.01, "
    "noncurrent_portion = noncurrent_portion - 0.01 where period = '2023-04' "
    "and asset_id = 'A/E1/USD'",
    ac.COSTS_RECONCILE: "update marts.fct_commission_costs set amount = amount + 0.01 "
    "where period = '2023-04' and deal_id = 'P'",
    # a balanced entry, but accrued_commissions no longer says what reps owe
    ac.ACCRUED_BALANCE: "update marts.fct_journal_entries set debit = debit + case "
    "account_role when 'accrued_commissions' then 1 else 0 end, credit = credit + case "
    "account_role when 'payroll_clearing' then 1 else 0 end "
    "where period = '2023-04' and entry_type = 'payout'",
}


@pytest.mark.parametrize("gate", list(TAMPERING))
def test_a_tampered_month_is_not_published(books: Books, gate: str, tmp_path: Path) -> None:
    warehouse = copy_warehouse(books.drafts_of_april, tmp_path / "warehouse.duckdb")
    with duckdb_file(str(warehouse)) as connection:
        assert all(c(connection, "2023-04").passed for c in ac.ACCOUNTING_CHECKS)
        connection.execute(TAMPERING[gate])
        failing = [c(connection, "2023-04") for c in ac.ACCOUNTING_CHECKS]
        assert [o.name for o in failing if not o.passed] == [gate]
        title = next(o.title for o in failing if o.name == gate)
        with pytest.raises(CloseRefused, match="reconciliation failed") as refused:
            publish_period(connection, "2023-04", "tampered", first_period=FIRST)
        assert title in str(refused.value)
        assert connection.execute(
            "select count(*) from finance.closes where period = '2023-04'"
        ).fetchone() == (0,)


def test_months_closed_before_accounting_hand_their_negative_carry_over(
    books: Books,
) -> None:
    """A warehouse whose months were closed before accounting existed (here: January to March
    without their accounting rows): April's close books the negative carry it takes over."""
    root = books.closed_through_march
    with duckdb_file(str(root / "warehouse.duckdb")) as connection:
        for table in ("commission_costs", "deferred_commission_layers", "deferred_commissions",
                      "amortization_schedule", "journal_entries"):
            connection.execute(f"delete from finance.{table}")
    upgraded = Scenario.__new__(Scenario)
    upgraded.root = root
    upgraded.closed("2023-04")
    carried = upgraded.query(
        "select employee_id, account_role, debit, credit, memo from finance.journal_entries "
        "where entry_type = 'negative_carry' and employee_id is not null order by 1"
    )
    assert carried == [
        ("E6", "accrued_commissions", D("3000.00"), D("0"),
         "E6: negative carry taken over from 2023-03, closed before accounting"),
        ("E7", "accrued_commissions", D("5000.00"), D("0"),
         "E7: negative carry taken over from 2023-03, closed before accounting"),
    ]
    assert upgraded.query("select count(*) from finance.deferred_commissions") == [(0,)]


def test_drafts_carry_accounting_for_the_next_month_to_close(books: Books, tmp_path: Path) -> None:
    """With the default draft_months (1) a run drafts the accounting of the next month to
    close only; its checks, asked about a later month, check that one and say so."""
    warehouse = copy_warehouse(books.drafts_of_april, tmp_path / "warehouse.duckdb")
    with duckdb_file(str(warehouse)) as connection:
        drafted = connection.execute(
            "select distinct period from marts.fct_journal_entries order by 1"
        ).fetchall()
        assert drafted == [("2023-04",)]
        assert connection.execute(
            "select max(period) from marts.fct_payouts"
        ).fetchone() == ("2023-06",)
        outcome = ac.check_accrued_balance(connection, "2023-06")
        assert outcome.passed
        assert outcome.detail is not None and "checked 2023-04" in outcome.detail


# ------------------------------------------------------------------------------- files, report


def test_the_month_files_and_the_close_report(books: Books) -> None:
    s = books.s
    folder = s.root / "out" / "2023-03"
    with (folder / "journal-entries.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    published = s.query("select count(*) from finance.journal_entries where period = '2023-03'")
    assert len(rows) == published[0][0]
    assert {r["journal_date"] for r in rows} == {"2023-03-31"}
    for row in rows:
        assert (row["debit"] == "") != (row["credit"] == ""), row
        assert row["entry_id"].startswith("OSPM-2023-03-") and row["run_id"]
    for currency in ("USD", "EUR"):
        mine = [r for r in rows if r["currency"] == currency]
        debit = sum(Decimal(r["debit"] or 0) for r in mine)
        assert debit == sum(Decimal(r["credit"] or 0) for r in mine) > 0
    deal_lines = [r for r in rows if r["entry_type"] == "write_down" and r["deal_id"]]
    assert deal_lines and all(f"deal {r['deal_id']}" in r["memo"] for r in deal_lines)
    with (folder / "deferred-commissions.csv").open(encoding="utf-8") as handle:
        assets = list(csv.DictReader(handle))
    assert {r["asset_id"] for r in assets} == {
        r[0] for r in s.query(
            "select asset_id from finance.deferred_commissions where period = '2023-03'"
        )
    }
    report = (folder / "close-report.md").read_text(encoding="utf-8")
    assert "## Deferred commissions (roll-forward)" in report
    assert "EUR: opening" in report and "USD: opening" in report
    assert "In the reporting currency at the rates of 2023-03-31, USD: opening" in report
