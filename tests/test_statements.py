"""Statements, the payroll export and the month's files through real closes (issue 15).

One workspace, first_period 2026-01, closed January to March with the CLI:
- Ada (R1) holds a 60% revenue split of D1 with Grace (R2), an overlay on Grace's D2 and roll-up
  credits from Alan (R3, her report); D1 earns the SPIFF; after January D1's amount rises and a
  January deal D7 arrives late: February restates, explained deal by deal;
- Edsger (R5): D5 is cancelled in February (clawback), a negative carry into March;
- Barbara (R4): a recoverable draw: balance 0 -> 3000 -> 1000 -> 4000;
- Grace gets an adjustment in February;
- Linus (R6) moves mid-February from the USD plan to a EUR plan: February pays in EUR;
- Margaret (M1) manages Ada and Grace: her statement lists them, not Alan.
Then April is closed twice from copies: once with the CLI, once as a Dagster run (first with a
tampered statement: blocked, only the close report written), and the files are compared.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from scenarios import Scenario, deal, plan_yaml
from typer.testing import CliRunner

from openspm.cli import app
from openspm.statements import month_files
from openspm.statements import render as statement_render
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace
from pipelines.runner import PipelineError, run_job

pytestmark = pytest.mark.slow

PEOPLE = {
    "M1": ("Margaret", "Hamilton"),
    "R1": ("Ada", "Lovelace"),
    "R2": ("Grace", "Hopper"),
    "R3": ("Alan", "Turing"),
    "R4": ("Barbara", "Liskov"),
    "R5": ("Edsger", "Dijkstra"),
    "R6": ("Linus", "Torvalds"),
}
MANAGERS = {"R1": "M1", "R2": "M1", "R3": "R1"}
SPIFF = (
    "spiffs:\n  - id: big-logo\n    deal_types: [new_business]\n    from: 2026-01-01\n"
    "    to: 2026-12-31\n    min_amount: 50000\n    amount: 1000\n"
)
AE_COMPONENTS = (
    "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [direct, split]\n    quota_period: year\n    rates:\n"
    "      method: marginal\n      tiers:\n        - {from: 0.0, rate: 0.10}\n"
    "        - {from: 0.5, rate: 0.15}\n"
    "  - id: overlay\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [overlay]\n    rates: {method: flat, rate: 0.02}\n"
    "  - id: team\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [rollup]\n    rates: {method: flat, rate: 0.01}\n"
)
FLAT_NB = (
    "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [direct, split]\n    rates: {method: flat, rate: 0.10}\n"
)
DRAW = (
    "draw:\n  kind: recoverable\n  monthly_amount: 3000\n  from: 2026-01-01\n"
    "  to: 2026-03-31\n"
)
QUOTAS = "".join(
    f"{e},AE,nb,2026-01-01,200000\n" for e in ("R1", "R2", "R3", "R5", "R6")
)
runner = CliRunner()


def _build(root: Path) -> Scenario:
    s = Scenario(root, "2026-01", list(PEOPLE))
    s.land(
        "hris/employees",
        [
            {"employee_id": e, "first_name": f, "last_name": last,
             "email": f"{f.lower()}.{last.lower()}@example.com", "hire_date": "2025-01-01",
             "modified_at": "2025-06-01T00:00:00Z"}
            for e, (f, last) in PEOPLE.items()
        ],
    )
    s.land(
        "hris/job_history",
        [
            {"employee_id": e, "effective_date": "2025-01-01", "job_title": "Account Executive",
             "manager_id": MANAGERS.get(e, ""), "status": "active",
             "modified_at": "2025-06-01T00:00:00Z"}
            for e in PEOPLE
        ],
    )
    s.land(
        "crm/accounts",
        [
            {"account_id": a, "name": n, "country": "US", "modified_at": "2025-06-01T00:00:00Z"}
            for a, n in (("A1", "Globex"), ("A2", "Initech"), ("A3", "Umbrella"))
        ],
    )
    s.write_plan("AE", plan_yaml("AE", components=AE_COMPONENTS, extra=SPIFF))
    s.write_plan(
        "MGR",
        plan_yaml("MGR", components=(
            "  - id: team\n    measure: bookings\n    deal_types: [new_business]\n"
            "    credit_types: [rollup]\n    rates: {method: flat, rate: 0.01}\n"
        )),
    )
    s.write_plan("DRAW", plan_yaml("DRAW", components=FLAT_NB, extra=DRAW))
    s.write_plan("EU", plan_yaml("EU", currency="EUR", components=FLAT_NB))
    s.assignments(
        [
            ("M1", "MGR", "2026-01-01", ""),
            ("R1", "AE", "2026-01-01", ""),
            ("R2", "AE", "2026-01-01", ""),
            ("R3", "AE", "2026-01-01", ""),
            ("R4", "DRAW", "2026-01-01", ""),
            ("R5", "AE", "2026-01-01", ""),
            ("R6", "AE", "2026-01-01", "2026-02-14"),
            ("R6", "EU", "2026-02-15", ""),
        ]
    )
    s.write_comp(
        "quotas.csv", "employee_id,plan_id,component_id,period_start,quota\n" + QUOTAS
    )
    s.land(
        "erp/fx_rates",
        [{"rate_date": "2025-12-31", "from_currency": "EUR", "to_currency": "USD",
          "rate": "1.25"}],
    )
    s.deals(
        deal("D1", "R1", "2026-01-10", "100000"),
        deal("D2", "R2", "2026-01-12", "40000", account_id="A2"),
        deal("D3", "R3", "2026-01-15", "30000", account_id="A3"),
        deal("D5", "R5", "2026-01-08", "30000"),
    )
    s.land(
        "crm/deal_splits",
        [
            {"split_id": "S1", "deal_id": "D1", "owner_id": "UR1", "split_type": "revenue",
             "split_percent": "60", "modified_at": "2026-01-01T00:00:00Z"},
            {"split_id": "S2", "deal_id": "D1", "owner_id": "UR2", "split_type": "revenue",
             "split_percent": "40", "modified_at": "2026-01-01T00:00:00Z"},
            {"split_id": "S3", "deal_id": "D2", "owner_id": "UR1", "split_type": "overlay",
             "split_percent": "50", "modified_at": "2026-01-01T00:00:00Z"},
        ],
    )
    s.closed("2026-01")

    s.deals(
        deal("D1", "R1", "2026-01-10", "120000"),  # the amount rises after January was paid
        deal("D7", "R1", "2026-01-28", "10000"),  # a January deal delivered late
        deal("D5", "R5", "2026-01-08", "30000", cancelled_date="2026-02-10"),
        deal("D4", "R4", "2026-02-05", "50000"),
        deal("D6A", "R6", "2026-02-05", "20000"),
        deal("D6B", "R6", "2026-02-20", "10000", currency="EUR"),
    )
    s.write_comp(
        "adjustments.csv",
        "adjustment_id,employee_id,period,amount,currency,reason\n"
        "ADJ1,R2,2026-02,250,USD,Correction: January overlay split\n",
    )
    s.closed("2026-02")

    s.deals(deal("D5B", "R5", "2026-03-05", "50000", account_id="A2"))
    s.closed("2026-03")
    return s


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return _build(tmp_path_factory.mktemp("statements") / "ws")


def statement_rows(s: Scenario, period: str, employee: str) -> list[dict[str, str]]:
    path = s.root / "out" / period / "statements" / f"{employee}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def section(rows: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    return [r for r in rows if r["section"] == name]


def summary(rows: list[dict[str, str]]) -> dict[str, Decimal]:
    return {r["item"]: Decimal(r["amount"]) for r in section(rows, "summary")}


def payroll(s: Scenario, period: str) -> list[dict[str, str]]:
    with (s.root / "out" / period / "payroll.csv").open(newline="", encoding="utf-8") as h:
        return list(csv.DictReader(h))


# ----------------------------------------------------------------------------- the files


def test_every_closed_month_has_its_files_private_and_complete(scenario: Scenario) -> None:
    for period in ("2026-01", "2026-02", "2026-03"):
        folder = scenario.root / "out" / period
        paid = {e for (e,) in scenario.query(
            "select employee_id from finance.payouts where period = ?", [period])}
        statements = folder / "statements"
        assert {p.name for p in statements.iterdir()} == {
            f"{e}.{x}" for e in paid for x in ("html", "csv")
        }
        marker = json.loads((folder / "month-files.json").read_text())
        assert marker["period"] == period
        assert {"payroll.csv", "close-report.md", "close-report.html"} <= set(marker["files"])
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(statements.stat().st_mode) == 0o700
        for path in [*statements.iterdir(), folder / "payroll.csv"]:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert not (scenario.root / "out" / ".staging" / period).exists()


def test_statement_totals_equal_the_payouts(scenario: Scenario) -> None:
    for period in ("2026-01", "2026-02", "2026-03"):
        for employee, commission, spiff, top_up, recovery, adjustments, carry, net in (
            scenario.query(
                "select employee_id, commission, spiff, draw_top_up, draw_recovery, "
                "adjustments, negative_carry_in, net_payout from finance.payouts "
                "where period = ?", [period])
        ):
            got = summary(statement_rows(scenario, period, employee))
            assert got["commission"] + got["restatement"] == commission
            assert (got["spiff"], got["draw_top_up"], got["draw_recovery"]) == (
                spiff, top_up, -recovery)
            assert (got["adjustments"], got["negative_carry_in"], got["net_payout"]) == (
                adjustments, carry, net)


def test_split_overlay_and_roll_up_credits_with_accounts(scenario: Scenario) -> None:
    credits = section(statement_rows(scenario, "2026-01", "R1"), "credit")
    seen = {(r["deal_id"], r["component_id"], r["credit_type"], r["account"], r["amount"])
            for r in credits}
    assert ("D1", "nb", "split", "Globex", "60000.00") in seen
    assert ("D2", "overlay", "overlay", "Initech", "20000.00") in seen
    assert ("D3", "team", "roll-up from Alan Turing", "Umbrella", "30000.00") in seen
    assert ("D1", "big-logo", "split", "Globex", "600.00") in seen  # the SPIFF share
    html = (scenario.root / "out/2026-01/statements/R1.html").read_text()
    assert "<svg" in html and "@media print" in html and 'name="viewport"' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def test_tier_arithmetic_is_shown_step_by_step(scenario: Scenario) -> None:
    rows = statement_rows(scenario, "2026-02", "R1")
    nb = [r for r in section(rows, "tier_step") if r["component_id"] == "nb"]
    # Ada: 60% of 120,000 + D7 10,000 = 82,000 of a 200,000 quota: first tier only
    assert [(r["detail"], r["amount"]) for r in nb] == [
        ("the first 82,000.00 (0% to 50% of quota) at 10%", "8200.00")
    ]
    march = statement_rows(scenario, "2026-03", "R1")
    component = {r["item"]: r["amount"] for r in section(march, "component")
                 if r["component_id"] == "nb"}
    assert component["earnings_to_date"] == "8200.00"
    assert component["paid_before"] == "8200.00" and component["due_now"] == "0.00"


def test_a_late_change_is_restated_deal_by_deal(scenario: Scenario) -> None:
    rows = statement_rows(scenario, "2026-02", "R1")
    restated = [r for r in section(rows, "restatement") if r["component_id"] == "nb"]
    assert [(r["item"], r["amount"]) for r in restated] == [("restatement", "2200.00")]
    assert "first paid 2026-01" in restated[0]["detail"]
    changes = {r["deal_id"]: r for r in section(rows, "restatement_change")
               if r["component_id"] == "nb"}
    assert set(changes) == {"D1", "D7"}
    assert "from 60,000.00 USD dated 2026-01-10 to 72,000.00" in changes["D1"]["detail"]
    assert changes["D1"]["amount"] == "12000.00" and changes["D1"]["account"] == "Globex"
    assert "added after its month was paid" in changes["D7"]["detail"]
    spiff = [r for r in section(rows, "restatement") if r["component_id"] == "big-logo"]
    assert spiff == []  # the SPIFF share is fixed: D1 qualified before and after


def test_a_clawback_carries_a_negative_balance(scenario: Scenario) -> None:
    february = summary(statement_rows(scenario, "2026-02", "R5"))
    assert february["commission"] + february["restatement"] == Decimal("-3000.00")
    assert (february["net_payout"], february["negative_carry_out"]) == (
        Decimal("0.00"), Decimal("-3000.00"))
    credits = section(statement_rows(scenario, "2026-02", "R5"), "credit")
    assert any("clawback" in r["credit_type"] and r["amount"] == "-30000.00" for r in credits)
    march = summary(statement_rows(scenario, "2026-03", "R5"))
    assert march["negative_carry_in"] == Decimal("-3000.00")
    assert march["net_payout"] == Decimal("3000.00")  # 5,000 + SPIFF 1,000 - 3,000
    rows = [r for r in payroll(scenario, "2026-03") if r["employee_id"] == "R5"]
    assert {(r["earning_type"], r["earning_code"], r["amount"]) for r in rows} == {
        ("commission", "COMM", "5000.00"), ("spiff", "SPIFF", "1000.00"),
        ("negative_carry_in", "NEGCARRY", "-3000.00"),
    }
    assert not [r for r in payroll(scenario, "2026-02") if r["employee_id"] == "R5"]


def test_a_recoverable_draw_shows_its_balance(scenario: Scenario) -> None:
    balances = []
    for period in ("2026-01", "2026-02", "2026-03"):
        rows = section(statement_rows(scenario, period, "R4"), "draw")
        balances.append(tuple(r["amount"] for r in rows))
    assert balances == [("0.00", "3000.00"), ("3000.00", "1000.00"), ("1000.00", "4000.00")]
    february = summary(statement_rows(scenario, "2026-02", "R4"))
    assert (february["draw_recovery"], february["net_payout"]) == (
        Decimal("-2000.00"), Decimal("3000.00"))


def test_an_adjustment_shows_its_reason(scenario: Scenario) -> None:
    rows = section(statement_rows(scenario, "2026-02", "R2"), "adjustment")
    assert [(r["item"], r["amount"], r["detail"]) for r in rows] == [
        ("ADJ1", "250.00", "Correction: January overlay split")
    ]
    codes = {r["earning_code"] for r in payroll(scenario, "2026-02") if r["employee_id"] == "R2"}
    assert "ADJ" in codes


def test_a_mid_month_plan_change_pays_in_the_new_currency(scenario: Scenario) -> None:
    rows = statement_rows(scenario, "2026-02", "R6")
    header = {r["item"]: r["detail"] for r in section(rows, "header")}
    assert header["payout_currency"] == "EUR"
    assert [r["item"] for r in section(rows, "plan")] == ["AE", "EU"]
    conversions = section(rows, "conversion")
    assert [(r["source_amount"], r["source_currency"], r["fx_rate"], r["amount"])
            for r in conversions] == [("2000.00", "USD", "0.8", "1600.00")]
    got = summary(rows)
    assert got["commission"] == Decimal("2600.00") and got["net_payout"] == Decimal("2600.00")
    paid = [r for r in payroll(scenario, "2026-02") if r["employee_id"] == "R6"]
    assert [(r["amount"], r["currency"]) for r in paid] == [("2600.00", "EUR")]


def test_a_manager_sees_the_team_of_that_month_only(scenario: Scenario) -> None:
    team = section(statement_rows(scenario, "2026-02", "M1"), "team")
    assert [r["item"] for r in team] == ["R1", "R2"]
    net = dict(scenario.query(
        "select employee_id, net_payout from finance.payouts where period = '2026-02'"))
    assert [Decimal(r["amount"]) for r in team] == [net["R1"], net["R2"]]
    assert section(statement_rows(scenario, "2026-02", "R2"), "team") == []


def test_payroll_sums_to_each_positive_net_payout(scenario: Scenario) -> None:
    for period in ("2026-01", "2026-02", "2026-03"):
        totals: dict[str, Decimal] = {}
        for row in payroll(scenario, period):
            assert row["pay_date"] == {"2026-01": "2026-02-15", "2026-02": "2026-03-15",
                                       "2026-03": "2026-04-15"}[period]
            totals[row["employee_id"]] = totals.get(row["employee_id"], Decimal(0)) + Decimal(
                row["amount"])
        paid = dict(scenario.query(
            "select employee_id, net_payout from finance.payouts where period = ? "
            "and net_payout > 0", [period]))
        assert totals == paid


# ----------------------------------------------------------------------------- privacy


def test_no_statement_shows_another_employees_data(scenario: Scenario) -> None:
    """Every statement of every closed month, scanned for other people's e-mail addresses,
    names and payouts, outside the allowed exceptions: a manager's team of that month, a
    roll-up source's name on a credit of their deal."""
    emails = {e: f"{f.lower()}.{last.lower()}@example.com" for e, (f, last) in PEOPLE.items()}
    names = {e: f"{f} {last}" for e, (f, last) in PEOPLE.items()}
    scanned = 0
    for folder in sorted((scenario.root / "out").glob("2026-*/statements")):
        period = folder.parent.name
        nets = dict(scenario.query(
            "select employee_id, net_payout from finance.payouts where period = ?", [period]))
        for path in folder.iterdir():
            owner = path.stem
            text = path.read_text()
            rows = statement_rows(scenario, period, owner)
            team = {r["item"] for r in section(rows, "team")}
            rollup_sources = {
                e for e, n in names.items()
                for r in section(rows, "credit") if f"from {n}" in r["credit_type"]
            }
            for other in PEOPLE:
                if other == owner:
                    continue
                allowed = team | rollup_sources | {MANAGERS.get(owner)}
                assert emails[other] not in text, (path, other)
                if other not in allowed:
                    assert names[other] not in text, (path, other)
                    assert not re.search(rf"\b{other}\b", text), (path, other)
                # another person's payout appears only as a team row of their manager
                rows_of_other = [r for r in rows if other in (r["item"], r["deal_id"])]
                assert all(r["section"] == "team" for r in rows_of_other), (path, other)
                if other not in team:
                    assert not any(r["item"] == other for r in section(rows, "team"))
            if team:
                assert team == {e for e, m in MANAGERS.items() if m == owner}
                for r in section(rows, "team"):
                    assert Decimal(r["amount"]) == nets[r["item"]]
            scanned += 1
    assert scanned >= 2 * 3 * 6


# ----------------------------------------------------------------------------- commands


def test_statement_command_prints_paths_and_text(scenario: Scenario) -> None:
    ws = ["--workspace", str(scenario.root)]
    result = runner.invoke(app, ["statement", "--period", "2026-02", *ws])
    assert result.exit_code == 0, result.output
    assert "out/2026-02" in result.output and "payroll.csv" in result.output
    result = runner.invoke(app, ["statement", "--period", "2026-02", "--employee", "R1",
                                 "--format", "text", *ws])
    assert result.exit_code == 0, result.output
    assert "Ada Lovelace (R1)" in result.output and "WHY EARLIER MONTHS CHANGED" in result.output
    result = runner.invoke(app, ["statement", "--period", "2026-09", *ws])
    assert result.exit_code == 1 and "2026-09 is not closed" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["statement", "--period", "2026-02", "--employee", "X9", *ws])
    assert result.exit_code == 1 and "no statement for X9" in result.output


def test_a_month_published_without_its_files_gets_them_back(scenario: Scenario) -> None:
    folder = scenario.root / "out" / "2026-03"
    before = {p.relative_to(folder): p.read_text() for p in folder.rglob("*") if p.is_file()}
    shutil.rmtree(folder)  # as if the close was killed after the publication committed
    result = runner.invoke(app, ["status", "--workspace", str(scenario.root)])
    assert result.exit_code == 0, result.output
    assert "2026-03 was published without its files; rebuilt" in result.output
    after = {p.relative_to(folder): p.read_text() for p in folder.rglob("*") if p.is_file()}
    assert set(after) == set(before)
    for name, text in before.items():
        assert normalized(after[name]) == normalized(text), name


# ----------------------------------------------------------------------------- one code path

STAMP = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( UTC)?"
)


def normalized(text: str) -> str:
    """The text without run ids and times (what differs between two closes of one month)."""
    return STAMP.sub("<stamp>", text)


@pytest.fixture(scope="module")
def april(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """April closed in a copy by the Dagster job (first with a tampered statement), and in
    the scenario by the CLI."""
    copy = tmp_path_factory.mktemp("dagster_close") / "ws"
    shutil.copytree(scenario.root, copy)
    scenario.deals(deal("D8", "R2", "2026-04-02", "60000"))
    shutil.copytree(scenario.root / "landing", copy / "landing", dirs_exist_ok=True)
    ws = Workspace.open(copy)

    original = statement_render.render_html

    def tampered(statement):  # type: ignore[no-untyped-def]
        html = original(statement)
        if statement.employee_id == "R2":
            html = html.replace('data-total="net_payout">', 'data-total="net_payout">1', 1)
        return html

    statement_render.render_html = tampered
    month_files.render_html = tampered  # type: ignore[attr-defined]
    try:
        with pytest.raises(PipelineError) as blocked:
            run_job("close_job", ws, partition_key="2026-04-01")
    finally:
        statement_render.render_html = original
        month_files.render_html = original
    after_block = sorted(p.name for p in (copy / "out" / "2026-04").iterdir())
    closes_after_block = [r[0] for r in duckdb_query(copy, "select period from finance.closes")]
    run_job("close_job", ws, partition_key="2026-04-01")
    scenario.closed("2026-04")
    return {
        "copy": copy,
        "blocked": str(blocked.value),
        "after_block": after_block,
        "closes_after_block": closes_after_block,
    }


def duckdb_query(root: Path, sql: str) -> list[tuple]:
    with duckdb_file(str(root / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_a_tampered_statement_blocks_the_close(april: dict[str, object]) -> None:
    assert "Statements and the payroll export must equal the payouts" in str(april["blocked"]) \
        or "statements_and_payroll" in str(april["blocked"])
    assert "2026-04" not in april["closes_after_block"]  # type: ignore[operator]
    assert april["after_block"] == ["close-report.html", "close-report.md"]


def test_a_dagster_close_writes_the_same_files_as_a_cli_close(
    scenario: Scenario, april: dict[str, object]
) -> None:
    cli = scenario.root / "out" / "2026-04"
    dagster = Path(str(april["copy"])) / "out" / "2026-04"
    names = sorted(str(p.relative_to(cli)) for p in cli.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(dagster)) for p in dagster.rglob("*") if p.is_file())
    assert "statements/R2.html" in names and "close-report.md" in names
    for name in names:
        a, b = (cli / name).read_text(), (dagster / name).read_text()
        assert normalized(a) == normalized(b), name
