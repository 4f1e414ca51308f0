"""Measures (contract v1.1 rule 4.2) through real closes: paid on bookings, billings, collections.

One workspace, first_period 2026-01, closed January to April with the deliveries a company's
CRM and ERP would make between closes:
- E1 books D1 (100,000) in January, invoiced in two halves (January and February), the first
  half paid in February; plan MEAS pays 5% on bookings, 2% on billings and 1% on collections:
  6,000 in January, 1,500 in February; the second invoice voided in March recovers its 1,000
  (a restatement; March nets below zero and carries -1,000 into April);
- E3's deal is paid in February, after E3 moved from M1 to M2: the managers' collections
  roll-up goes to M2 (the hierarchy on the payment date), the bookings roll-up of January to M1;
- E4's EUR invoice converts at the invoice date's rate; its payment, deleted after it was paid,
  is recovered;
- E5's deal is deleted after its booking and invoice were paid (both recovered); a lost deal's
  invoice credits nothing.
Then the gates: with a collections plan, a payment of an unknown invoice blocks the close by
file and row, and so does an invoice in a currency without a rate; in a company paying on
bookings only the same data is a warning and invoices create no credits at all.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from scenarios import Scenario, deal, flat_component, invoice, payment, plan_yaml

pytestmark = pytest.mark.slow

EMPLOYEES = ["E1", "E3", "E4", "E5", "M1", "M2"]
MEASURES = (
    flat_component("booked", "0.05")
    + flat_component("billed", "0.02", measure="billings")
    + flat_component("collected", "0.01", measure="collections")
)
TEAM = flat_component("team_booked", "0.01", credit_types="[rollup]") + flat_component(
    "team_collected", "0.01", measure="collections", credit_types="[rollup]"
)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    s = Scenario(tmp_path_factory.mktemp("measures") / "ws", "2026-01", EMPLOYEES)
    s.write_plan("MEAS", plan_yaml("MEAS", components=MEASURES))
    s.write_plan("TEAM", plan_yaml("TEAM", components=TEAM))
    s.assignments(
        [(e, "MEAS", "2026-01-01", "") for e in ("E1", "E3", "E4", "E5")]
        + [(m, "TEAM", "2026-01-01", "") for m in ("M1", "M2")]
    )
    # E3 reports to M1, then to M2 from 2026-02-15
    s.land(
        "hris/job_history",
        [
            {"employee_id": "E3", "effective_date": "2025-01-01", "job_title": "AE",
             "manager_id": "M1", "status": "active", "modified_at": "2025-06-01T00:00:00Z"},
            {"employee_id": "E3", "effective_date": "2026-02-15", "job_title": "AE",
             "manager_id": "M2", "status": "active", "modified_at": "2025-06-01T00:00:00Z"},
        ],
    )  # fmt: skip
    s.land(
        "erp/fx_rates",
        [
            {"rate_date": "2026-01-01", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.10"},
            {"rate_date": "2026-02-01", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.20"},
        ],
    )  # fmt: skip
    s.deals(
        deal("D1", "E1", "2026-01-10", "100000"),
        deal("D3", "E3", "2026-01-05", "50000"),
        deal("D4", "E4", "2026-01-20", "10000", currency="EUR"),
        deal("D5", "E5", "2026-01-08", "20000"),
        deal("D7", "E5", "", "30000", is_won="false", stage="closed_lost"),
    )
    s.invoices(
        invoice("INV1", "D1", "2026-01-15", "50000", status="paid"),
        invoice("INV3", "D3", "2026-01-06", "50000"),
        invoice("INV5", "D5", "2026-01-09", "20000"),
        invoice("INV7", "D7", "2026-01-12", "30000"),  # a lost deal's invoice: no credit
    )
    s.closed("2026-01")

    s.invoices(
        invoice("INV2", "D1", "2026-02-10", "50000"),
        invoice("INV4", "D4", "2026-02-03", "10000", currency="EUR"),
    )
    s.payments(
        payment("PAY1", "INV1", "2026-02-20", "50000"),
        payment("PAY3", "INV3", "2026-02-25", "50000"),
        payment("PAY4", "INV4", "2026-02-15", "10000", currency="EUR"),
    )
    s.closed("2026-02")

    s.invoices(invoice("INV2", "D1", "2026-02-10", "50000", status="void"))
    s.payments(payment("PAY4", "INV4", "2026-02-15", "10000", currency="EUR", is_deleted="true"))
    s.deals(deal("D5", "E5", "2026-01-08", "20000", is_deleted="true"))
    s.closed("2026-03")
    s.closed("2026-04")

    s.unknown_invoice_batch = s.payments(  # type: ignore[attr-defined]
        payment("PAY9", "INV404", "2026-05-04", "700")
    )
    s.invoices(invoice("INV8", "D1", "2026-05-06", "900", currency="GBP"))  # no GBP rate
    s.refused_may = s.close("2026-05")  # type: ignore[attr-defined]
    return s


def test_a_deal_pays_on_booking_billing_and_collection(scenario: Scenario) -> None:
    assert {k: v for k, v in scenario.lines("E1", "2026-01").items() if v} == {
        ("MEAS", "booked", "commission"): Decimal("5000.00"),
        ("MEAS", "billed", "commission"): Decimal("1000.00"),
    }
    january = scenario.payout("E1", "2026-01")
    february = scenario.payout("E1", "2026-02")
    assert january is not None and february is not None
    assert (january["commission"], january["net_payout"]) == (Decimal("6000.00"),) * 2
    assert (february["commission"], february["net_payout"]) == (Decimal("1500.00"),) * 2
    assert {k: v for k, v in scenario.lines("E1", "2026-02").items() if v} == {
        ("MEAS", "billed", "commission"): Decimal("1000.00"),
        ("MEAS", "collected", "commission"): Decimal("500.00"),
    }


def test_a_voided_invoice_is_recovered_and_carried(scenario: Scenario) -> None:
    assert {k: v for k, v in scenario.lines("E1", "2026-03").items() if v} == {
        ("MEAS", "billed", "restatement"): Decimal("-1000.00"),
    }
    march = scenario.payout("E1", "2026-03")
    april = scenario.payout("E1", "2026-04")
    assert march is not None and april is not None
    assert (march["commission"], march["net_payout"]) == (Decimal("-1000.00"), Decimal("0"))
    assert (april["negative_carry_in"], april["net_payout"]) == (Decimal("-1000.00"), Decimal("0"))
    reversed_ = scenario.query(
        "select event_type, event_id, deal_id, cast(credit_date as varchar), amount "
        "from finance.credits where period = '2026-03' and entry = 'reverse' "
        "and employee_id = 'E1'"
    )
    assert reversed_ == [("invoice", "INV2", "D1", "2026-02-10", Decimal("-50000"))]


def test_each_credit_names_its_event(scenario: Scenario) -> None:
    rows = scenario.query(
        "select event_type, event_id, component_id, cast(credit_date as varchar), amount "
        "from finance.credits where employee_id = 'E1' and entry = 'add' order by credit_date"
    )
    assert rows == [
        ("deal", "D1", "booked", "2026-01-10", Decimal("100000")),
        ("invoice", "INV1", "billed", "2026-01-15", Decimal("50000")),
        ("invoice", "INV2", "billed", "2026-02-10", Decimal("50000")),
        ("payment", "PAY1", "collected", "2026-02-20", Decimal("50000")),
    ]
    ids = scenario.query(
        "select count(distinct credit_id) from finance.credits where employee_id = 'E1'"
    )
    assert ids == [(4,)]


def test_roll_ups_follow_the_hierarchy_on_the_payment_date(scenario: Scenario) -> None:
    assert {k: v for k, v in scenario.lines("M1", "2026-01").items() if v} == {
        ("TEAM", "team_booked", "commission"): Decimal("500.00"),
    }
    assert not any(scenario.lines("M1", "2026-02").values())
    assert {k: v for k, v in scenario.lines("M2", "2026-02").items() if v} == {
        ("TEAM", "team_collected", "commission"): Decimal("500.00"),
    }
    rollups = scenario.query(
        "select employee_id, event_type, event_id from finance.credits "
        "where credit_type = 'rollup' and entry = 'add' order by all"
    )
    assert rollups == [("M1", "deal", "D3"), ("M2", "payment", "PAY3")]


def test_an_eur_invoice_converts_at_the_invoice_date(scenario: Scenario) -> None:
    rows = scenario.query(
        "select event_type, event_id, fx_rate, source_amount, amount from finance.credits "
        "where employee_id = 'E4' and entry = 'add' order by credit_date"
    )
    assert rows == [
        ("deal", "D4", Decimal("1.1"), Decimal("10000"), Decimal("11000")),
        ("invoice", "INV4", Decimal("1.2"), Decimal("10000"), Decimal("12000")),
        ("payment", "PAY4", Decimal("1.2"), Decimal("10000"), Decimal("12000")),
    ]
    assert scenario.payout("E4", "2026-01")["commission"] == Decimal("550.00")  # type: ignore[index]
    assert scenario.payout("E4", "2026-02")["commission"] == Decimal("360.00")  # type: ignore[index]


def test_a_deleted_payment_is_recovered(scenario: Scenario) -> None:
    assert {k: v for k, v in scenario.lines("E4", "2026-03").items() if v} == {
        ("MEAS", "collected", "restatement"): Decimal("-120.00"),
    }


def test_a_deleted_deal_recovers_booking_and_billing_and_a_lost_deal_credits_nothing(
    scenario: Scenario,
) -> None:
    assert scenario.payout("E5", "2026-01")["commission"] == Decimal("1400.00")  # type: ignore[index]
    assert {k: v for k, v in scenario.lines("E5", "2026-03").items() if v} == {
        ("MEAS", "booked", "restatement"): Decimal("-1000.00"),
        ("MEAS", "billed", "restatement"): Decimal("-400.00"),
    }
    assert scenario.query("select count(*) from finance.credits where deal_id = 'D7'") == [(0,)]


def test_an_unknown_invoice_blocks_the_close_by_file_and_row(scenario: Scenario) -> None:
    code, output = scenario.refused_may  # type: ignore[attr-defined]
    assert code == 1
    batch = scenario.unknown_invoice_batch.relative_to(scenario.root / "landing")  # type: ignore[attr-defined]
    assert f"{batch.as_posix()} row 1" in output
    assert "payment PAY9 names invoice INV404, which no erp/invoices batch holds" in output
    report = (scenario.root / "out" / "2026-05" / "close-report.md").read_text()
    assert f"{batch.as_posix()} row 1" in report
    assert scenario.query("select count(*) from finance.closes where period = '2026-05'") == [(0,)]


def test_an_invoice_in_a_currency_without_a_rate_blocks_the_close(scenario: Scenario) -> None:
    report = (scenario.root / "out" / "2026-05" / "close-report.md").read_text()
    blocking = report[: report.index("## Warnings")]
    assert "Every currency conversion needs an exchange rate" in blocking
    assert "the currency GBP is unknown" in blocking
    assert "dated on or before 2026-05-06" in blocking and "D1 (invoice INV8)" in blocking


@pytest.fixture(scope="module")
def bookings_only(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    s = Scenario(tmp_path_factory.mktemp("bookings_only") / "ws", "2026-01", ["E1"])
    s.write_plan("AE", plan_yaml("AE", components=flat_component("booked", "0.05")))
    s.assignments([("E1", "AE", "2026-01-01", "")])
    s.deals(deal("D1", "E1", "2026-01-10", "100000"))
    s.invoices(
        invoice("INV1", "D1", "2026-01-15", "50000", status="paid"),
        invoice("INV2", "D404", "2026-01-16", "100"),  # an unknown deal
    )
    s.payments(
        payment("PAY1", "INV1", "2026-01-20", "30000"),
        payment("PAY2", "INV1", "2026-01-25", "30000"),  # 60,000 paid on 50,000
        payment("PAY3", "INV404", "2026-01-26", "10"),  # an unknown invoice
    )
    s.closed("2026-01")
    return s


def test_without_billing_or_collection_plans_the_gates_warn(bookings_only: Scenario) -> None:
    assert bookings_only.payout("E1", "2026-01")["net_payout"] == Decimal("5000.00")  # type: ignore[index]
    assert bookings_only.query(
        "select count(*) from intermediate.int_invoice_payment_credits"
    ) == [(0,)]
    assert bookings_only.query(
        "select distinct event_type from finance.credits"
    ) == [("deal",)]
    report = (bookings_only.root / "out" / "2026-01" / "close-report.md").read_text()
    warnings = report[report.index("## Warnings") :]
    assert "erp/invoices/batch-" in warnings and "invoice INV2 names deal D404" in warnings
    assert "payment PAY3 names invoice INV404" in warnings
    assert "the 2 payments of invoice INV1 add up to 60000.00 USD" in warnings
    assert "no plan pays on billings or collections" in warnings
