"""openspm.quality: GX suites, reconciliations, dbt results, storage and the close report.

Real DuckDB files with hand-built raw, staging, intermediate and marts tables; no dbt, no
Dagster. Only the first GX suite pays for importing great_expectations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from raw_fixtures import LOADED_AT, create_raw_tables, load_batch

from openspm.quality import (
    CHECKS,
    CheckOutcome,
    Finding,
    Section,
    Severity,
    Status,
    exceptions,
    load_outcomes,
    outcomes_from_run_results,
    record_outcomes,
    run_checks,
    write_report,
)
from openspm.quality import deal_checks as dc
from openspm.quality import landing_checks as lc
from openspm.quality import reconciliations as rc
from openspm.quality.findings import MAX_FINDINGS, outcome
from openspm.quality.report import CurrencyTotals
from openspm.warehouse import duckdb_file

PERIOD = "2026-03"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb_file(str(tmp_path / "warehouse.duckdb"))
    try:
        yield connection
    finally:
        connection.close()


def deal_row(deal_id: str, **values: str) -> dict[str, str]:
    row = {
        "deal_id": deal_id,
        "account_id": "A1",
        "owner_id": "U1",
        "deal_type": "new_business",
        "stage": "won",
        "is_won": "true",
        "close_date": "2026-03-10",
        "amount": "100.00",
        "currency": "USD",
        "modified_at": "2026-03-10T10:00:00Z",
    }
    row.update(values)
    return row


def where_value_problem(o: CheckOutcome) -> list[tuple[str, str | None, str]]:
    return [(f.where, f.value, f.problem) for f in o.findings]


# ---------------------------------------------------------------------------------- landing


def test_landing_quarantine_lists_values_and_rejected_files(
    con: duckdb.DuckDBPyConnection,
) -> None:
    create_raw_tables(con)
    load_batch(
        con,
        "crm/deals",
        [deal_row("D1"), deal_row("D2", amount="12,5"), deal_row("D3", close_date="2026-02-30")],
        file_name="deals_01.csv",
        quarantined=frozenset({2, 3}),
    )
    # D3 is delivered again, correctly, in a later file: its quarantined row is corrected
    load_batch(con, "crm/deals", [deal_row("D3")], file_name="deals_02.csv")
    quarantine = [
        ("crm/deals", "crm/deals/deals_01.csv", 2, "amount", "12,5", "not a decimal number", "D2"),
        (
            "crm/deals",
            "crm/deals/deals_01.csv",
            3,
            "close_date",
            "2026-02-30",
            "not a real calendar date",
            "D3",
        ),
        (
            "hris/employees",
            "hris/employees/bad.csv",
            None,
            "hire_date",
            None,
            "required column is missing from the file",
            None,
        ),
    ]
    con.executemany(
        "insert into raw.ingest_quarantine values (?, ?, ?, ?, ?, ?, ?, 'h', ?)",
        [(*q, LOADED_AT) for q in quarantine],
    )
    con.executemany(
        "insert into raw.ingest_batches values (?, ?, 'h', 10, 'csv', ?, ?, ?, ?, ?)",
        [
            ("crm/deals", "crm/deals/deals_01.csv", 3, 2, "loaded", "2 of 3 rows ...", LOADED_AT),
            ("crm/deals", "crm/deals/deals_02.csv", 1, 0, "loaded", None, LOADED_AT),
            (
                "hris/employees",
                "hris/employees/bad.csv",
                4,
                0,
                "rejected",
                "lacks required column(s) hire_date (the header has: employee_id)",
                LOADED_AT,
            ),
        ],
    )

    result = lc.check_landing_quarantine(con, PERIOD)

    assert result.status == Status.FAILED and result.severity == Severity.BLOCKING
    assert where_value_problem(result) == [
        (
            "hris/employees/bad.csv",
            None,
            "the whole file was rejected: lacks required column(s) hire_date "
            "(the header has: employee_id)",
        ),
        (
            "crm/deals/deals_01.csv row 2 (deal_id D2)",
            "12,5",
            "column amount: not a decimal number",
        ),
    ]
    assert result.total == 2
    assert "1 quarantined row(s) were corrected" in (result.detail or "")
    assert result.first_line().startswith(
        "Landing files must be readable, have every required column, and hold values of the "
        "right type: hris/employees/bad.csv: the whole file was rejected"
    )
    assert result.first_line().endswith("; and 1 more")


def test_landing_quarantine_passes_when_empty(con: duckdb.DuckDBPyConnection) -> None:
    create_raw_tables(con)
    assert lc.check_landing_quarantine(con, PERIOD).status == Status.PASSED


def test_landing_conflicting_versions(con: duckdb.DuckDBPyConnection) -> None:
    create_raw_tables(con)
    same_time = "2026-03-10T10:00:00Z"
    load_batch(
        con,
        "crm/deals",
        [
            deal_row("D1", amount="100", modified_at=same_time),
            deal_row("D2"),
            deal_row("D1", amount="200", modified_at="2026-03-10 10:00:00"),  # same instant
            deal_row("D2"),  # identical duplicate: no error
            deal_row("D3", is_won="true", amount="50"),
            deal_row("D3", is_won="1", amount="50.000"),  # same values once typed
            deal_row("D4", modified_at="2026-03-10T10:00:00Z"),
            deal_row("D4", amount="7", modified_at="2026-03-11T10:00:00Z"),  # a later version
            deal_row("D5", amount="bad"),
            deal_row("D5", amount="5"),  # the other row is quarantined: left to that check
        ],
        file_name="deals_01.csv",
        quarantined=frozenset({9}),
    )
    # the same key and time in two different files is the versioning rule's job, not an error
    load_batch(con, "crm/deals", [deal_row("D2", amount="300")], file_name="deals_02.csv")

    result = lc.check_landing_conflicts(con, PERIOD)

    assert result.status == Status.FAILED
    assert where_value_problem(result) == [
        (
            "crm/deals/deals_01.csv rows 1 and 3 (deal_id D1)",
            same_time,
            "2 rows of the same file have the same deal_id and the same modified_at but "
            "differ: amount '100' vs '200'; it is not clear which one holds",
        )
    ]


def test_fx_rates_of_one_batch_with_one_key_and_two_rates_block(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """fx rates have no modified_at: a file is one version of every rate it holds, so two
    rates for one day and pair in one file block (docs/contract.md section 6)."""
    create_raw_tables(con)

    def rate(day: str, pair: tuple[str, str], value: str) -> dict[str, str]:
        return {"rate_date": day, "from_currency": pair[0], "to_currency": pair[1], "rate": value}

    eur, gbp = ("EUR", "USD"), ("GBP", "USD")
    load_batch(
        con,
        "erp/fx_rates",
        [
            rate("2026-03-31", eur, "1.08"),
            rate("2026-03-31", eur, "1.0900"),  # the same day and pair, another rate
            rate("2026-03-31", gbp, "1.27"),
            rate("2026-03-31", gbp, "1.270000"),  # the same rate once typed: no error
        ],
        file_name="fx_01.csv",
    )
    # a later file with another rate for the same key is a new version, not a conflict
    load_batch(con, "erp/fx_rates", [rate("2026-03-31", gbp, "1.30")], file_name="fx_02.csv")

    result = lc.check_landing_conflicts(con, PERIOD)

    assert result.status == Status.FAILED and result.blocks
    assert where_value_problem(result) == [
        (
            "erp/fx_rates/fx_01.csv rows 1 and 2 (rate_date/from_currency/to_currency "
            "2026-03-31, EUR, USD)",
            None,
            "2 rows of the same file have the same rate_date/from_currency/to_currency but "
            "differ: rate '1.08' vs '1.0900'; it is not clear which one holds",
        )
    ]


def test_landing_conflicts_pass_without_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    create_raw_tables(con)
    load_batch(con, "crm/deals", [deal_row("D1"), deal_row("D2")])
    assert lc.check_landing_conflicts(con, PERIOD).status == Status.PASSED


# ---------------------------------------------------------------------------------- staging


def create_staging_deals(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[object, ...]], *, raw: bool = True
) -> None:
    """staging.stg_crm__deals (the columns the checks read) and raw.crm__deals to match.

    A row may end with its modified_at; else the deal was recorded on its close date.
    """
    con.execute("create schema if not exists staging")
    con.execute(
        "create table staging.stg_crm__deals (deal_id varchar, owner_id varchar, "
        "is_won boolean, close_date date, amount decimal(20, 6), currency varchar, "
        "source_file varchar, source_row bigint, modified_at timestamp)"
    )
    rows = [r if len(r) == 8 else (*r, r[2] or date(2026, 3, 1)) for r in rows]
    con.executemany(
        "insert into staging.stg_crm__deals values (?, 'U1', ?, ?, ?, ?, ?, ?, ?)", rows
    )
    if raw:
        create_raw_tables(con)
        for deal_id, is_won, close, amount, currency, file, row, _ in rows:
            con.execute(
                "insert into raw.crm__deals (deal_id, is_won, close_date, amount, currency, "
                "_file, _row_number, _quarantined) values (?, ?, ?, ?, ?, ?, ?, false)",
                [
                    deal_id,
                    str(is_won).lower(),
                    close,
                    None if amount is None else f" {amount}",
                    (currency or "").lower(),
                    file,
                    row,
                ],
            )


def test_won_deals_incomplete_negative_or_unknown_currency(
    con: duckdb.DuckDBPyConnection,
) -> None:
    f = "crm/deals/deals_01.csv"
    create_staging_deals(
        con,
        [
            ("D1", True, date(2026, 3, 1), Decimal("100"), "USD", f, 1),
            ("D2", True, date(2026, 3, 1), Decimal("100"), "GBP", f, 2),  # a plan currency
            ("D3", True, date(2026, 3, 1), None, "USD", f, 3),
            ("D4", True, date(2026, 3, 1), Decimal("-12.50"), "EUR", f, 4),
            ("D5", True, None, Decimal("10"), "USD", f, 5),
            ("D6", True, date(2026, 3, 1), Decimal("10"), "XYZ", f, 6),
            ("D7", False, None, Decimal("-1"), None, f, 7),  # lost: not checked
            ("D8", True, None, None, None, f, 8),
        ],
    )
    con.execute(
        "create table staging.stg_erp__fx_rates as select date '2026-01-01' as rate_date, "
        "'EUR' as from_currency, 'USD' as to_currency, 1.1::decimal(24, 12) as rate"
    )
    con.execute("create schema comp")
    con.execute("create table comp.plans as select 'P1' as plan_id, 'GBP' as currency")

    result = dc.check_won_deals(con, PERIOD)

    assert result.status == Status.FAILED and result.severity == Severity.BLOCKING
    assert where_value_problem(result) == [
        (f"{f} row 3 (deal D3)", None, "the won deal has no amount"),
        (f"{f} row 4 (deal D4)", " -12.50", "the won deal's amount is negative"),
        (f"{f} row 5 (deal D5)", None, "the won deal has no close date"),
        (
            f"{f} row 6 (deal D6)",
            "xyz",
            "the currency XYZ is unknown: no exchange rate and no plan uses it "
            "(known: EUR, GBP, USD)",
        ),
        (f"{f} row 8 (deal D8)", None, "the won deal has no amount"),
        (f"{f} row 8 (deal D8)", None, "the won deal has no close date"),
        (f"{f} row 8 (deal D8)", None, "the won deal has no currency"),
    ]
    assert result.total == 7


def test_won_deals_pass_and_future_close_dates_warn(con: duckdb.DuckDBPyConnection) -> None:
    """Worked example (docs/quality.md): "in the future" is as of the end of the month closed.

    D2 was recorded as won on 20 March with a close date of 2 May: closing March or April, it
    had not closed yet when the month ended, so both closes warn; May's close does not. D4,
    recorded on 11 April after closing on 10 April, is ordinary April data for March's close.
    """
    f = "crm/deals/deals_01.csv"
    create_staging_deals(
        con,
        [
            ("D1", True, date(2026, 3, 1), Decimal("0"), "USD", f, 1),
            ("D2", True, date(2026, 5, 2), Decimal("5"), "USD", f, 2, datetime(2026, 3, 20, 9)),
            ("D3", False, date(2027, 1, 1), Decimal("5"), "USD", f, 3),
            ("D4", True, date(2026, 4, 10), Decimal("5"), "USD", f, 4, datetime(2026, 4, 11)),
        ],
        raw=False,
    )
    # without comp.plans or fx rates the currency list comes from the caller
    assert dc.check_won_deals(con, PERIOD, extra_currencies=["usd"]).status == Status.PASSED

    for month, end in (("2026-03", "2026-03-31"), ("2026-04", "2026-04-30")):
        future = dc.check_future_close_dates(con, month)
        assert future.severity == Severity.WARNING and future.status == Status.FAILED
        assert where_value_problem(future) == [
            (
                f"{f} row 2 (deal D2)",
                "2026-05-02",
                f"the won deal closes on 2026-05-02, after the end of {month} ({end}), but was "
                "recorded as won on 2026-03-20, before that day",
            ),
        ]
    assert dc.check_future_close_dates(con, "2026-05").passed
    assert dc.check_future_close_dates(con, "2026-02").passed  # D2 was not yet recorded


# ----------------------------------------------------------------------------- reconciliations


def create_credit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema staging")
    con.execute("create schema intermediate")
    con.execute(
        "create table staging.stg_crm__deals (deal_id varchar, is_won boolean, close_date date, "
        "amount decimal(20, 6), currency varchar, source_file varchar, source_row bigint)"
    )
    con.execute(
        "create table staging.stg_crm__deal_splits (split_id varchar, deal_id varchar, "
        "split_type varchar, split_percent decimal(9, 6))"
    )
    con.execute(
        "create table intermediate.int_deal_credits (deal_id varchar, employee_id varchar, "
        "credit_type varchar, source_amount decimal(38, 14))"
    )
    con.execute("create table intermediate.int_deal_credit_problems (deal_id varchar)")


def test_deal_credits_reconcile_to_amounts(con: duckdb.DuckDBPyConnection) -> None:
    create_credit_tables(con)
    f = "crm/deals/d.csv"
    con.executemany(
        "insert into staging.stg_crm__deals values (?, true, ?, ?, 'USD', ?, ?)",
        [
            ("OK", date(2026, 3, 5), Decimal("1000"), f, 1),
            ("SHORT", date(2026, 3, 6), Decimal("1000"), f, 2),
            ("SPLIT", date(2026, 3, 7), Decimal("1000"), f, 3),
            ("TWICE", date(2026, 3, 8), Decimal("500"), f, 4),
            ("LISTED", date(2026, 3, 9), Decimal("1000"), f, 5),  # a listed problem deal
            ("APRIL", date(2026, 4, 1), Decimal("1000"), f, 6),  # another month
        ],
    )
    con.executemany(
        "insert into staging.stg_crm__deal_splits values (?, ?, ?, ?)",
        [
            ("S1", "SPLIT", "revenue", Decimal("60")),
            ("S2", "SPLIT", "revenue", Decimal("40")),
            ("S3", "SPLIT", "overlay", Decimal("100")),
        ],
    )
    con.executemany(
        "insert into intermediate.int_deal_credits values (?, ?, ?, ?)",
        [
            ("OK", "E1", "direct", Decimal("1000")),
            ("OK", "M1", "rollup", Decimal("1000")),  # roll-ups are not counted
            ("SHORT", "E1", "direct", Decimal("999.99")),
            ("SPLIT", "E1", "split", Decimal("600")),
            ("SPLIT", "E2", "split", Decimal("400")),
            ("SPLIT", "E3", "direct", Decimal("0")),
            ("SPLIT", "E4", "overlay", Decimal("1000")),
            ("TWICE", "E1", "direct", Decimal("250")),
            ("TWICE", "E2", "direct", Decimal("250")),
        ],
    )
    con.execute("insert into intermediate.int_deal_credit_problems values ('LISTED')")

    result = rc.check_deal_credits(con, PERIOD)

    assert result.status == Status.FAILED
    assert where_value_problem(result) == [
        (
            f"{f} row 2 (deal SHORT)",
            "999.99",
            "its direct and split credits add up to 999.99 USD, not 1000.00 USD "
            "(its amount 1000.00)",
        ),
        (f"{f} row 3 (deal SPLIT)", "1000.00", "it has revenue splits and also 1 direct credit(s)"),
        (
            f"{f} row 4 (deal TWICE)",
            "500.00",
            "it has 2 direct credits; a deal without revenue splits has exactly one",
        ),
    ]
    assert rc.check_deal_credits(con, "2026-04").status == Status.FAILED  # APRIL: no credits
    assert rc.check_deal_credits(con, "2026-05").status == Status.PASSED


def create_payout_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema marts")
    con.execute("create schema staging")
    con.execute(
        "create table marts.fct_payouts (employee_id varchar, period varchar, currency varchar, "
        "commission decimal(18, 2), spiff decimal(18, 2), draw_top_up decimal(18, 2), "
        "draw_recovery decimal(18, 2), adjustments decimal(18, 2), "
        "negative_carry_in decimal(18, 2), net_payout decimal(18, 2))"
    )
    con.execute(
        "create table marts.fct_payout_lines (employee_id varchar, period varchar, "
        "plan_id varchar, component_id varchar, quota_period_start date, line_type varchar, "
        "amount decimal(18, 2), currency varchar)"
    )
    con.execute(
        "create table staging.stg_hris__employees (employee_id varchar, first_name varchar, "
        "last_name varchar)"
    )
    con.execute("insert into staging.stg_hris__employees values ('E1', 'Ana', 'Ruiz')")
    con.execute(
        "create table staging.stg_erp__fx_rates (rate_date date, from_currency varchar, "
        "to_currency varchar, rate decimal(24, 12))"
    )
    con.executemany(
        "insert into staging.stg_erp__fx_rates values (?, ?, ?, ?)",
        [
            (date(2026, 3, 1), "USD", "EUR", Decimal("0.8")),  # only the inverse pair
            (date(2026, 4, 1), "USD", "EUR", Decimal("0.5")),  # after the month: not used
        ],
    )


def add_payout(con: duckdb.DuckDBPyConnection, employee: str, currency: str, *amounts: str) -> None:
    con.execute(
        "insert into marts.fct_payouts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [employee, PERIOD, currency, *(Decimal(a) for a in amounts)],
    )


def add_line(
    con: duckdb.DuckDBPyConnection, employee: str, kind: str, amount: str, currency: str
) -> None:
    con.execute(
        "insert into marts.fct_payout_lines values (?, ?, 'P1', 'c', date '2026-01-01', ?, ?, ?)",
        [employee, PERIOD, kind, Decimal(amount), currency],
    )


def test_payouts_equal_their_lines_and_net_formula(con: duckdb.DuckDBPyConnection) -> None:
    create_payout_tables(con)
    # E1: USD lines and one EUR line; 10.01 EUR at 1 / 0.8 = 1.25 -> 12.5125 -> 12.51 USD
    add_payout(con, "E1", "USD", "112.51", "20.00", "0", "0", "0", "0", "132.51")
    add_line(con, "E1", "commission", "60.00", "USD")
    add_line(con, "E1", "restatement", "40.00", "USD")
    add_line(con, "E1", "commission", "10.01", "EUR")
    add_line(con, "E1", "spiff", "20.00", "USD")
    # E2: commission off by a cent; net below zero paid as zero (correct)
    add_payout(con, "E2", "USD", "-50.01", "0", "0", "0", "0", "0", "0")
    add_line(con, "E2", "commission", "-50.00", "USD")
    # E3: net payout not max(0, parts): 100 + 10 + 5 - 20 + 3 - 8 = 90
    add_payout(con, "E3", "USD", "100", "10", "5", "20", "3", "-8", "95.00")
    add_line(con, "E3", "commission", "100", "USD")
    add_line(con, "E3", "spiff", "10", "USD")
    # E4: lines without a payout; E5: a GBP line with no rate into USD
    add_line(con, "E4", "commission", "5.00", "USD")
    add_payout(con, "E5", "USD", "1", "0", "0", "0", "0", "0", "1")
    add_line(con, "E5", "commission", "1.00", "GBP")

    lines = rc.check_payout_lines(con, PERIOD)
    assert lines.status == Status.FAILED and lines.severity == Severity.BLOCKING
    assert where_value_problem(lines) == [
        (
            "employee E2, 2026-03",
            "-50.01",
            "the payout's commission is -50.01 USD but its commission and restatement lines add "
            "up to -50.00 USD",
        ),
        ("employee E4, 2026-03", "5.00", "has payout lines adding up to 5.00 but no payout"),
        (
            "employee E5, 2026-03",
            "GBP",
            "a GBP payout line cannot be converted into USD: no exchange rate dated on or before "
            "2026-03-31",
        ),
    ]

    net = rc.check_net_payout(con, PERIOD)
    assert where_value_problem(net) == [
        (
            "employee E3, 2026-03",
            "95.00",
            "the net payout is 95.00 USD but its parts give 90.00 USD: commission 100.00 + SPIFF "
            "10.00 + draw top-up 5.00 - draw recovery 20.00 + adjustments 3.00 + negative "
            "carry-in -8.00 = 90.00",
        ),
    ]
    assert rc.check_payout_lines(con, "2026-04").passed  # no payouts: nothing to reconcile
    with pytest.raises(ValueError, match="schema"):
        rc.check_net_payout(con, PERIOD, schema="staging")


def test_payout_above_three_times_monthly_target(con: duckdb.DuckDBPyConnection) -> None:
    create_payout_tables(con)
    con.execute("create schema comp")
    con.execute(
        "create table comp.plans as select * from (values ('P1', 'USD'), ('P2', 'EUR')) "
        "t(plan_id, currency)"
    )
    con.execute(
        "create table comp.plan_assignments (employee_id varchar, plan_id varchar, "
        "effective_from date, effective_end date, target_incentive decimal(20, 6))"
    )
    con.executemany(
        "insert into comp.plan_assignments values (?, ?, ?, ?, ?)",
        [
            ("E1", "P1", date(2025, 1, 1), date(2026, 3, 15), Decimal("12000")),
            ("E1", "P1", date(2026, 3, 16), date(2026, 12, 31), Decimal("48000")),  # held 03-31
            ("E2", "P1", date(2026, 1, 1), date(2026, 12, 31), Decimal("12000")),
            ("E3", "P2", date(2026, 1, 1), date(2026, 12, 31), Decimal("8000")),  # EUR target
        ],
    )
    add_payout(con, "E1", "USD", "9000", "0", "0", "0", "0", "0", "9000.00")  # 3 x 4000 = 12000
    add_payout(con, "E2", "USD", "3000.01", "0", "0", "0", "0", "0", "3000.01")  # > 3000.00
    add_payout(con, "E3", "USD", "3000", "0", "0", "0", "0", "0", "3000.00")  # 3 x 666.67 EUR
    add_payout(con, "E4", "USD", "99999", "0", "0", "0", "0", "0", "99999.00")  # no plan

    result = rc.check_payout_above_target(con, PERIOD)

    assert result.severity == Severity.WARNING
    assert where_value_problem(result) == [
        (
            "employee E2, 2026-03",
            "3000.01 USD",
            "the net payout is 3000.01 USD, more than three times the monthly target incentive of "
            "1000.00 USD (annual 12000.00 USD in plan P1 / 12); limit 3000.00 USD",
        ),
        (
            "employee E3, 2026-03",
            "3000.00 USD",
            "the net payout is 3000.00 USD, more than three times the monthly target incentive of "
            "833.33 USD (annual 8000.00 EUR in plan P2 / 12); limit 2500.00 USD",
        ),
    ]


def test_credits_without_plan_and_exceptions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema intermediate")
    con.execute(
        "create table intermediate.int_credit_exceptions (deal_id varchar, employee_id varchar, "
        "employee_name varchar, credit_type varchar, credit_date date, "
        "source_amount decimal(38, 14), source_currency varchar, description varchar, "
        "event_type varchar, event_id varchar)"
    )
    con.execute(
        "insert into intermediate.int_credit_exceptions values ('D1', 'E9', 'Bo Li', 'rollup', "
        "date '2026-03-04', 1250.5, 'EUR', 'Bo Li (E9) holds no plan assignment on 2026-03-04: "
        "the rollup credit of deal D1 (1250.50 EUR) earns nothing', 'deal', 'D1'), "
        "('D1', 'E9', 'Bo Li', 'rollup', date '2026-03-20', 100, 'EUR', 'a payment', "
        "'payment', 'PAY7'), "
        "('D2', 'E9', 'Bo Li', 'direct', date '2026-04-01', 1, 'EUR', 'April', 'deal', 'D2')"
    )
    found = exceptions(con, PERIOD)
    assert found == [
        Finding(
            "employee E9 (Bo Li), deal D1 (rollup credit)",
            "1250.50 EUR",
            "Bo Li (E9) holds no plan assignment on 2026-03-04: the rollup credit of deal D1 "
            "(1250.50 EUR) earns nothing",
        ),
        Finding(
            "employee E9 (Bo Li), payment PAY7 of deal D1 (rollup credit)", "100.00 EUR",
            "a payment",
        ),
    ]
    warning = rc.check_credits_without_plan(con, PERIOD)
    assert warning.severity == Severity.WARNING and warning.findings == found
    assert rc.check_credits_without_plan(con, "2026-02").passed


# ----------------------------------------------------------------------- registry and storage


def test_registry_on_an_empty_warehouse_runs_nothing_and_raises_nothing(
    con: duckdb.DuckDBPyConnection,
) -> None:
    outcomes = run_checks(con, PERIOD)
    assert [o.name for o in outcomes] == [c.name for c in CHECKS]
    assert all(o.status == Status.NOT_RUN for o in outcomes)
    assert all("has not been built yet" in (o.detail or "") for o in outcomes)
    blocking = {c.name for c in CHECKS if c.blocking}
    assert {o.name for o in outcomes if o.blocks} == blocking
    assert {c.table for c in CHECKS} >= {
        "raw.ingest_quarantine",
        "staging.stg_crm__deals",
        "marts.fct_payouts",
    }
    # each registered callable, called directly, is guarded too
    assert CHECKS[0](con, PERIOD).status == Status.NOT_RUN


def test_outcomes_are_stored_and_replaced_per_run_and_check(
    con: duckdb.DuckDBPyConnection,
) -> None:
    many = [Finding(f"deal D{i}", str(i), "the amount is negative") for i in range(250)]
    first = [
        outcome("a", "Check A", Severity.BLOCKING, many),
        outcome("b", "Check B", Severity.WARNING, []),
    ]
    assert len(first[0].findings) == MAX_FINDINGS and first[0].total == 250
    record_outcomes(con, "run-1", PERIOD, first)
    record_outcomes(con, "run-1", PERIOD, first)  # idempotent
    loaded = load_outcomes(con, "run-1")
    assert loaded == first

    fixed = outcome("a", "Check A", Severity.BLOCKING, [Finding("deal D1", None, "no amount")])
    record_outcomes(con, "run-1", PERIOD, [fixed])
    assert [(o.name, o.total, len(o.findings)) for o in load_outcomes(con, "run-1")] == [
        ("a", 1, 1),
        ("b", 0, 0),
    ]
    assert load_outcomes(con, "run-2") == []
    assert load_outcomes(duckdb_file(":memory:"), "run-1") == []  # no quality schema yet


# --------------------------------------------------------------------------------- dbt results


def test_dbt_results_become_plain_outcomes_with_failing_rows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute("create schema dbt_test__audit")
    con.execute(
        "create view dbt_test__audit.no_problem_rows_int_deal_credit_problems_description as "
        "select * from (values ('D7', 'missing_amount', 'won deal D7 has no amount')) "
        "t(deal_id, kind, description)"
    )
    con.execute(
        "create view dbt_test__audit.not_null_stg_crm__deals_amount as select * from (values "
        "('D8', 'crm/deals/x.csv', 4, null::decimal(20, 6))) "
        "t(deal_id, source_file, source_row, amount)"
    )
    uid_problems = "test.openspm.no_problem_rows_int_deal_credit_problems_description.1a2b3c4d5e"
    uid_not_null = "test.openspm.not_null_stg_crm__deals_amount.0f0f0f0f0f"
    con.execute(
        "create view dbt_test__audit.not_null_stg_crm__deal_splits as select * from (values "
        "('owner_id', 'source_file crm/deal_splits/s.csv, source_row 9', "
        "'stg_crm__deal_splits: source_file crm/deal_splits/s.csv, source_row 9 has no owner_id'))"
        " t(column_name, row_label, description)"
    )
    uid_columns = "test.openspm.not_null_stg_crm__deal_splits"
    uid_unit = "unit_test.openspm.fct_payouts.fct_payouts_draws_and_negative_carry"
    run_results = {
        "results": [
            {"unique_id": "model.openspm.stg_crm__deals", "status": "success"},
            {
                "unique_id": uid_problems,
                "status": "fail",
                "failures": 1,
                "message": "Got 1 result, configured to fail if != 0",
                "relation_name": '"warehouse"."dbt_test__audit".'
                '"no_problem_rows_int_deal_credit_problems_description"',
            },
            {
                "unique_id": uid_not_null,
                "status": "fail",
                "failures": 1,
                "relation_name": '"warehouse"."dbt_test__audit"."not_null_stg_crm__deals_amount"',
            },
            {
                "unique_id": uid_columns,
                "status": "fail",
                "failures": 1,
                "relation_name": '"warehouse"."dbt_test__audit"."not_null_stg_crm__deal_splits"',
            },
            {"unique_id": uid_unit, "status": "fail", "message": "actual differs from expected"},
            {
                "unique_id": "model.openspm.fct_payouts",
                "status": "error",
                "message": "Conversion Error: <script>alert(1)</script>",
            },
            {
                "unique_id": "test.openspm.unique_fct_credits_credit_id.9a9a9a9a9a",
                "status": "skipped",
            },
            {"unique_id": "test.openspm.accepted_values_x.1234567890", "status": "pass"},
        ]
    }
    manifest = {
        "nodes": {
            uid_problems: {
                "name": "no_problem_rows_int_deal_credit_problems_description",
                "attached_node": "model.openspm.int_deal_credit_problems",
                "test_metadata": {
                    "name": "no_problem_rows",
                    "kwargs": {"message_column": "description"},
                },
                "config": {"severity": "ERROR"},
            },
            uid_columns: {
                "name": "not_null_stg_crm__deal_splits",
                "attached_node": "model.openspm.stg_crm__deal_splits",
                "test_metadata": {
                    "name": "not_null_columns",
                    "kwargs": {"columns": ["owner_id"], "label_columns": ["source_file"]},
                },
                "config": {"severity": "error"},
            },
            uid_not_null: {
                "name": "not_null_stg_crm__deals_amount",
                "attached_node": "model.openspm.stg_crm__deals",
                "column_name": "amount",
                "test_metadata": {"name": "not_null", "kwargs": {"column_name": "amount"}},
                "config": {"severity": "error"},
            },
        },
        "unit_tests": {
            uid_unit: {"name": "fct_payouts_draws_and_negative_carry", "model": "fct_payouts"}
        },
    }

    outcomes = outcomes_from_run_results(run_results, con, manifest)
    by_name = {o.name: o for o in outcomes}

    problems = by_name["dbt:no_problem_rows_int_deal_credit_problems_description"]
    assert problems.status == Status.FAILED and problems.severity == Severity.BLOCKING
    assert problems.title.startswith("Won deals must be complete")
    assert where_value_problem(problems) == [("deal D7", None, "won deal D7 has no amount")]
    assert "dbt node" in (problems.technical or "")

    not_null = by_name["dbt:not_null_stg_crm__deals_amount"]
    assert not_null.title == "Deals: a required value is missing (amount)"
    assert where_value_problem(not_null) == [
        ("crm/deals/x.csv row 4 (deal D8)", None, "amount is missing")
    ]

    columns = by_name["dbt:not_null_stg_crm__deal_splits"]
    assert columns.title == "Deal splits: a required value is missing"
    assert where_value_problem(columns) == [
        ("crm/deal_splits/s.csv row 9", None, "owner_id is missing")
    ]

    unit = by_name["dbt:fct_payouts_draws_and_negative_carry"]
    assert unit.failed and unit.title.startswith("Payouts: the worked example")
    model = by_name["dbt:fct_payouts"]
    assert model.title == "Payouts could not be computed"
    assert "<script>" in model.findings[0].problem
    skipped = by_name["dbt:unique_fct_credits_credit_id"]
    assert skipped.status == Status.NOT_RUN and "earlier step" in (skipped.detail or "")
    summary = by_name["dbt_checks_passed"]
    assert summary.passed and summary.title.startswith("1 data checks")


# ------------------------------------------------------------------------------------- report


def test_close_report_lists_failures_warnings_exceptions_and_escapes(tmp_path: Path) -> None:
    outcomes = [
        outcome(
            "won_deals_complete",
            "Won deals must have an amount of zero or more",
            Severity.BLOCKING,
            [
                Finding(
                    "crm/deals/d.csv row 4 (deal D4)", "-12.50", "the won deal's amount is negative"
                ),
                Finding("deal <script>alert('x')</script>", "a|b", "odd | value"),
            ],
            technical="staging.stg_crm__deals",
        ),
        CheckOutcome(
            "net_payout_formula",
            "Each net payout must follow from its parts",
            Severity.BLOCKING,
            Status.NOT_RUN,
            detail="the payouts are not built yet",
        ),
        outcome(
            "payout_above_target",
            "A month's payout should not exceed three times the monthly target",
            Severity.WARNING,
            [Finding("employee E2 (Ana Ruiz), 2026-03", "3000.01 USD", "above the limit")],
        ),
        outcome("landing_quarantine", "Landing files must be readable", Severity.BLOCKING, []),
    ]
    found = [
        Finding(
            "employee E9 (Bo Li), deal D1 (rollup credit)",
            "1250.50 EUR",
            "Bo Li holds no plan assignment",
        )
    ]
    out = tmp_path / "out" / PERIOD

    totals = [
        CurrencyTotals("EUR", 2, Decimal("100.5"), Decimal(0), Decimal(0), Decimal("100.50")),
        CurrencyTotals("USD", 1, Decimal(10), Decimal(5), Decimal(-1), Decimal(14)),
    ]
    md_path, html_path = write_report(
        out,
        PERIOD,
        "run-42",
        "not_published",
        None,
        outcomes,
        found,
        [Section("Files", ["statements were not written"])],
        totals=totals,
    )

    assert md_path == out / "close-report.md" and html_path == out / "close-report.html"
    md = md_path.read_text(encoding="utf-8")
    html = html_path.read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left
    assert "# Close report: March 2026 (2026-03)" in md
    assert "**March 2026: NOT published**" in md
    assert (
        "Not published because of Won deals must have an amount of zero or more: "
        "crm/deals/d.csv row 4 (deal D4): the won deal's amount is negative (value -12.50); "
        "and 1 more (1 blocking check did not run, listed under Checks not run)."
    ) in md
    # the header counts what the sections list: 2 blocking problems, 1 warning item
    assert (
        "- Blocking problems: 2 (from 1 check); checks not run: 1; warnings: 1 (from 1 check); "
        "credits without a plan: 1\n"
    ) in md
    # totals per currency, never one sum across currencies; drafts are said to be drafts
    assert "The month's drafts, per payout currency: nothing of it is published." in md
    assert "| EUR | 2 | 100.50 | 0.00 | 0.00 | 100.50 |" in md
    assert "| USD | 1 | 10.00 | 5.00 | -1.00 | 14.00 |" in md
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert "run-42" in md and "run-42" in html
    assert "| crm/deals/d.csv row 4 (deal D4) | -12.50 | the won deal's amount is negative |" in md
    assert "a\\|b" in md and "\\<script\\>" in md
    order = [
        md.index(h)
        for h in (
            "## Blocking problems",
            "## Checks not run",
            "## Warnings",
            "## Exceptions",
            "## Files",
            "## Checks that passed",
        )
    ]
    assert order == sorted(order)
    assert "the payouts are not built yet" in md
    assert "employee E2 (Ana Ruiz), 2026-03" in md and "Bo Li holds no plan assignment" in md
    assert "- Landing files must be readable\n" in md
    assert "staging.stg_crm__deals" in md.split("## Checks not run")[0]  # technical line only

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "NOT published" in html and "3000.01 USD" in html and "1250.50 EUR" in html
    assert html.count("<table>") == 4
    assert html.endswith("</html>\n")

    passed = [
        outcome(name, f"Check {name}", Severity.BLOCKING, []) for name in ("a", "b", "c")
    ]
    md_path, _ = write_report(out, PERIOD, "run-43", "published", None, passed, [])
    published = md_path.read_text(encoding="utf-8")
    assert "**March 2026: published**" in published
    # one line per passed check (the list was once glued into one line)
    assert published.endswith("## Checks that passed\n- Check a\n- Check b\n- Check c\n")


def test_report_templates_are_package_data() -> None:
    from importlib import resources

    folder = resources.files("openspm.quality").joinpath("templates")
    assert {p.name for p in folder.iterdir()} >= {"close-report.md.j2", "close-report.html.j2"}


def test_run_results_json_round_trip(tmp_path: Path) -> None:
    from openspm.quality import load_artifacts

    (tmp_path / "run_results.json").write_text(json.dumps({"results": []}))
    run_results, manifest = load_artifacts(tmp_path)
    assert run_results == {"results": []} and manifest is None
    assert outcomes_from_run_results(run_results, None) == []
