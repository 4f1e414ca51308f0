"""Go-live in April (docs/contract.md rule 4.12 and section 3) through real closes.

Plan AEY runs the year 2026 (flat 10% on new business, a 500 SPIFF for deals of 10,000 or more);
OpenSPM pays from 2026-04. What January to March earned was paid by the old system:
- G1 has no opening balance: the year counts as paid its earnings to the end of March (1,000 and
  the 500 SPIFF): April pays only April's deal;
- G2's old system really paid 800 (comp/opening_balances.csv): April restates the 200 missing;
- G3 starts with a 300 draw balance and a -100 negative carry: April recovers and nets them.
The amounts are recorded by the April close: a later change to a February deal is restated in
May, and editing the opening file or first_period afterwards is refused.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from scenarios import Scenario, deal, flat_component, plan_yaml
from typer.testing import CliRunner

from openspm.cli import app
from openspm.comp import check_comp_config
from openspm.workspace import Workspace

SPIFF = (
    "spiffs:\n  - id: y-logo\n    deal_types: [new_business]\n    from: 2026-01-01\n"
    "    to: 2026-12-31\n    min_amount: 10000\n    amount: 500\n"
)
OPENING = (
    "employee_id,kind,plan_id,component_id,quota_period_start,amount,currency\n"
    "G2,paid_to_date,AEY,nb,2026-01-01,800.00,USD\n"
    "G3,draw_balance,,,,300,USD\n"
    "G3,negative_carry,,,,-100,USD\n"
)


def go_live_workspace(root, opening: str | None = OPENING) -> Scenario:
    s = Scenario(root, "2026-04", ["G1", "G2", "G3"])
    s.write_plan("AEY", plan_yaml("AEY", components=flat_component("nb", "0.10"), extra=SPIFF))
    s.assignments([(g, "AEY", "2026-01-01", "") for g in ("G1", "G2", "G3")])
    if opening is not None:
        s.write_comp("opening_balances.csv", opening)
    s.deals(
        deal("D1", "G1", "2026-02-10", "10000"),
        deal("D1B", "G1", "2026-04-10", "5000"),
        deal("D2", "G2", "2026-02-15", "10000"),
        deal("D3", "G3", "2026-04-05", "10000"),
    )
    return s


@pytest.fixture(scope="module")
def go_live(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    s = go_live_workspace(tmp_path_factory.mktemp("go_live") / "ws")
    s.closed("2026-04")
    s.april_ledger = s.query(  # type: ignore[attr-defined]
        "select deal_id, entry from finance.credits where period = '2026-04' order by all"
    )
    s.deals(deal("D1", "G1", "2026-02-10", "12000"))  # a pre-go-live deal corrected late
    s.write_comp("opening_balances.csv", OPENING.replace("800.00", "900.00"))
    s.refused_may = s.close("2026-05")  # type: ignore[attr-defined]
    s.write_comp("opening_balances.csv", OPENING)
    (s.root / "openspm.yaml").write_text(
        "company: Scenario Inc.\nreporting_currency: USD\nfirst_period: 2026-03\n"
    )
    s.refused_first_period = s.close("2026-05")  # type: ignore[attr-defined]
    (s.root / "openspm.yaml").write_text(
        "company: Scenario Inc.\nreporting_currency: USD\nfirst_period: 2026-04\n"
    )
    s.closed("2026-05")
    return s


@pytest.mark.slow
def test_first_month_pays_only_what_the_old_system_did_not(go_live: Scenario) -> None:
    assert go_live.lines("G1", "2026-04") == {("AEY", "nb", "commission"): Decimal("500.00")}
    assert go_live.lines("G2", "2026-04") == {("AEY", "nb", "restatement"): Decimal("200.00")}
    assert go_live.lines("G3", "2026-04") == {
        ("AEY", "nb", "commission"): Decimal("1000.00"),
        ("AEY", "y-logo", "spiff"): Decimal("500.00"),
    }
    g3 = go_live.payout("G3", "2026-04")
    assert g3 is not None
    assert (g3["draw_recovery"], g3["negative_carry_in"], g3["net_payout"]) == (
        Decimal("300.00"), Decimal("-100.00"), Decimal("1100.00"),
    )
    recorded = go_live.query(
        "select employee_id, kind, component_id, amount, source from finance.opening_balances "
        "where period = '2026-04' order by all"
    )
    assert recorded == [
        ("G1", "paid_to_date", "nb", Decimal("1000.00"), "computed"),
        ("G1", "paid_to_date", "y-logo", Decimal("500.00"), "computed"),
        ("G2", "paid_to_date", "nb", Decimal("800.00"), "file"),
        ("G2", "paid_to_date", "y-logo", Decimal("500.00"), "computed"),
        ("G3", "draw_balance", None, Decimal("300.00"), "file"),
        ("G3", "negative_carry", None, Decimal("-100.00"), "file"),
    ]
    # the first close's ledger holds the credits dated before first_period too
    assert ("D1", "add") in go_live.april_ledger and ("D2", "add") in go_live.april_ledger  # type: ignore[attr-defined]


@pytest.mark.slow
def test_opening_amounts_are_recorded_not_recomputed(go_live: Scenario) -> None:
    # D1 grew by 2,000 after April: 200 more commission, restated in May (not absorbed by a
    # recomputed opening amount)
    assert go_live.lines("G1", "2026-05") == {("AEY", "nb", "restatement"): Decimal("200.00")}
    assert go_live.lines("G2", "2026-05") == {}


@pytest.mark.slow
def test_changing_the_go_live_afterwards_is_refused(go_live: Scenario) -> None:
    code, output = go_live.refused_may  # type: ignore[attr-defined]
    assert code == 1
    assert "comp/opening_balances.csv row 1" in output and "2026-04 was closed" in output
    code, output = go_live.refused_first_period  # type: ignore[attr-defined]
    assert code == 1
    assert "first_period is 2026-03 but 2026-04 was closed as the first month" in output


@pytest.mark.slow
def test_without_opening_balances_nothing_is_paid_twice(tmp_path) -> None:
    s = go_live_workspace(tmp_path / "ws", opening=None)
    s.closed("2026-04")
    for employee in ("G1", "G2"):  # the old system paid January to March in full
        assert ("AEY", "nb", "restatement") not in s.lines(employee, "2026-04")
    g2 = s.payout("G2", "2026-04")
    assert g2 is not None and g2["net_payout"] == Decimal("0.00")


def test_the_opening_file_is_validated_by_row(tmp_path) -> None:
    s = go_live_workspace(tmp_path / "ws", opening=None)
    s.write_comp(
        "opening_balances.csv",
        "employee_id,kind,plan_id,component_id,quota_period_start,amount,currency\n"
        "G1,paid_to_date,AEY,nb,2026-01-01,10,USD\n"
        "G1,paid_to_date,AEY,nb,2026-01-01,10,USD\n"  # row 2: duplicate
        "G1,bonus_bank,,,,10,USD\n"  # row 3: unknown kind
        "G2,paid_to_date,AEY,nb,2026-02-01,10,USD\n"  # row 4: no quota period starts then
        "G9,paid_to_date,AEY,nb,2026-01-01,10,USD\n"  # row 5: never held the plan
        "G3,negative_carry,,,,25,USD\n"  # row 6: not negative
        "G3,paid_to_date,AEY,nb,2026-01-01,10,EUR\n",  # row 7: not the plan's currency
    )
    problems = [str(p) for p in check_comp_config(Workspace(s.root))]
    expected = {
        2: "duplicate of row 1",
        3: "unknown kind 'bonus_bank'",
        4: "2026-02-01 starts no quota period of AEY/nb",
        5: "employee G9 never held plan AEY",
        6: "a negative carry is a negative number",
        7: "paid_to_date is in the plan's currency USD",
    }
    for row, message in expected.items():
        assert any(
            p.startswith(f"comp/opening_balances.csv row {row} ") and message in p
            for p in problems
        ), (row, problems)
    assert not any(p.startswith("comp/opening_balances.csv row 1 ") for p in problems)


# ------------------------------------------------------------ the go-live month's statements


def _statement(s: Scenario, period: str, employee: str) -> list[dict[str, str]]:
    path = s.root / "out" / period / "statements" / f"{employee}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _section(rows: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    return [r for r in rows if r["section"] == name]


@pytest.mark.slow
def test_go_live_statement_counts_earlier_credits_in_one_row_per_line(tmp_path) -> None:
    """Worked example (docs/statements.md, "Credits dated before first_period").

    H1 holds AEY (flat 10% on new business, a 500 SPIFF from 10,000) from January; OpenSPM
    pays from April. Three deals dated January to March (4,000 + 6,000 + 12,000 = 22,000,
    earning 2,200 and the SPIFF for D13) were paid by the old system, which says it paid 2,000
    of the commission. April's ledger holds the three deals and April's D14 (5,000): the
    statement lists D14 and counts the others in one row per line: nb, 3 credits, 22,000.00;
    y-logo, 1 credit (D13's SPIFF). April pays 500 commission and restates 200, explained by
    the go-live amount (not by 22,000 of "changed" credits).
    """
    s = Scenario(tmp_path / "ws", "2026-04", ["H1"])
    s.write_plan("AEY", plan_yaml("AEY", components=flat_component("nb", "0.10"), extra=SPIFF))
    s.assignments([("H1", "AEY", "2026-01-01", "")])
    s.write_comp(
        "opening_balances.csv",
        "employee_id,kind,plan_id,component_id,quota_period_start,amount,currency\n"
        "H1,paid_to_date,AEY,nb,2026-01-01,2000.00,USD\n",
    )
    s.deals(
        deal("D11", "H1", "2026-01-20", "4000"),
        deal("D12", "H1", "2026-02-10", "6000"),
        deal("D13", "H1", "2026-03-15", "12000"),
        deal("D14", "H1", "2026-04-08", "5000"),
    )
    s.closed("2026-04")
    assert s.lines("H1", "2026-04") == {
        ("AEY", "nb", "commission"): Decimal("500.00"),
        ("AEY", "nb", "restatement"): Decimal("200.00"),
    }

    rows = _statement(s, "2026-04", "H1")
    # the ledger is unchanged: every credit is there; the statement counts the earlier ones
    ledger = s.query(
        "select component_id, count(*), sum(amount) from finance.credits "
        "where period = '2026-04' and credit_date < date '2026-04-01' group by all order by 1"
    )
    assert ledger == [("nb", 3, Decimal("22000")), ("y-logo", 1, Decimal("500"))]
    summaries = [
        (r["plan_id"], r["component_id"], r["quota_period_start"], r["item"], r["amount"],
         r["currency"], r["date"], r["detail"])
        for r in _section(rows, "credit_summary")
    ]
    assert summaries[0] == (
        "AEY", "nb", "2026-01-01", "3", "22000.00", "USD", "2026-03-15",
        "3 credits dated before 2026-04 (2026-01-20 to 2026-03-15), counted at go-live",
    )
    assert [(r[1], r[3], r[4]) for r in summaries[1:]] == [("y-logo", "1", "500.00")]
    assert [(r["deal_id"], r["component_id"], r["amount"]) for r in _section(rows, "credit")] == [
        ("D14", "nb", "5000.00")
    ]
    summary = {r["item"]: r["amount"] for r in _section(rows, "summary")}
    assert (summary["commission"], summary["restatement"], summary["net_payout"]) == (
        "500.00", "200.00", "700.00"
    )
    restated = _section(rows, "restatement")
    assert len(restated) == 1 and "go-live amount paid before OpenSPM (2,000.00)" in (
        restated[0]["detail"]
    )
    assert not _section(rows, "restatement_change")

    html = (s.root / "out/2026-04/statements/H1.html").read_text()
    assert "3 credits" in html and "dated before 2026-04, counted at go-live" in html
    assert "D14" in html and "D11" not in html and "D13" not in html
    text = CliRunner().invoke(
        app, ["statement", "--period", "2026-04", "--employee", "H1", "--format", "text",
              "--workspace", str(s.root)],
    )
    assert text.exit_code == 0, text.output
    assert "3 credits dated before 2026-04 (2026-01-20 to 2026-03-15), counted at go-live" in (
        text.output
    )
    assert "D14" in text.output and "D12" not in text.output


@pytest.mark.slow
def test_later_changes_to_pre_go_live_credits_are_listed_one_by_one(go_live: Scenario) -> None:
    # April (go-live): G1's February D1 is counted in a summary row, April's D1B listed
    april = _statement(go_live, "2026-04", "G1")
    counted = [(r["component_id"], r["item"], r["amount"])
               for r in _section(april, "credit_summary")]
    assert counted == [("nb", "1", "10000.00"), ("y-logo", "1", "500.00")]
    assert {r["deal_id"] for r in _section(april, "credit")} == {"D1B"}
    # May (an ordinary month): D1's late change is a restatement, each entry listed
    may = _statement(go_live, "2026-05", "G1")
    assert not _section(may, "credit_summary")
    assert sorted((r["deal_id"], r["item"]) for r in _section(may, "credit")
                  if r["component_id"] == "nb") == [("D1", "add"), ("D1", "reverse")]
    assert any(r["deal_id"] == "D1" for r in _section(may, "restatement_change"))
