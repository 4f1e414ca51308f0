"""The leaderboard through a real close: attainment ranked by role and by team, published as
finance.leaderboard, listed in the close report, and a rep's rank for statements only when
openspm.yaml turns it on (docs/modelling.md, "The leaderboard").

January: three account executives (E1 and E2 in M1's team, E3 in M2's) and a solutions
engineer (E4), all on a marginal plan with a quota. E1 120,000 of 100,000 (120%), E2 60,000 of
100,000 (60%), E3 60,000 of 50,000 (120%, tied with E1), E4 30,000 of 100,000 (30%).
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from scenarios import Scenario, deal, plan_yaml

from openspm.leaderboard import rep_ranks
from openspm.settings import parse_settings
from openspm.statements import rebuild_month_files
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace

pytestmark = pytest.mark.slow

MARGINAL = (
    "  - id: nb\n    measure: bookings\n    deal_types: [new_business]\n"
    "    credit_types: [direct, split]\n    quota_period: year\n    rates:\n"
    "      method: marginal\n      tiers:\n        - {from: 0.0, rate: 0.10}\n"
    "        - {from: 1.0, rate: 0.20}\n"
)
JOBS = {  # employee -> (job title, manager)
    "E1": ("Account Executive", "M1"),
    "E2": ("Account Executive", "M1"),
    "E3": ("Account Executive", "M2"),
    "E4": ("Solutions Engineer", "M1"),
    "M1": ("Sales Manager", ""),
    "M2": ("Sales Manager", ""),
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    s = Scenario(tmp_path_factory.mktemp("leaderboard") / "ws", "2026-01", list(JOBS))
    s.land(
        "hris/job_history",
        [
            {"employee_id": e, "effective_date": "2025-01-01", "job_title": title,
             "manager_id": manager, "status": "active", "modified_at": "2025-06-01T00:00:00Z"}
            for e, (title, manager) in JOBS.items()
        ],
    )  # fmt: skip
    s.write_plan("Q", plan_yaml("Q", components=MARGINAL))
    s.assignments([(e, "Q", "2026-01-01", "") for e in ("E1", "E2", "E3", "E4")])
    s.write_comp(
        "quotas.csv",
        "employee_id,plan_id,component_id,period_start,quota\n"
        "E1,Q,nb,2026-01-01,100000\nE2,Q,nb,2026-01-01,100000\n"
        "E3,Q,nb,2026-01-01,50000\nE4,Q,nb,2026-01-01,100000\n",
    )
    s.deals(
        deal("D1", "E1", "2026-01-10", "120000"),
        deal("D2", "E2", "2026-01-11", "60000"),
        deal("D3", "E3", "2026-01-12", "60000"),
        deal("D4", "E4", "2026-01-13", "30000"),
    )
    s.closed("2026-01")
    return s


def test_the_close_publishes_ranks_by_role_and_team(scenario: Scenario) -> None:
    rows = scenario.query(
        "select employee_id, role, team_manager_id, attainment, rank_in_role, role_size, "
        "rank_in_team, team_size from finance.leaderboard where period = '2026-01' order by 1"
    )
    assert rows == [
        ("E1", "Account Executive", "M1", Decimal("1.2000000000"), 1, 3, 1, 3),
        ("E2", "Account Executive", "M1", Decimal("0.6000000000"), 3, 3, 2, 3),
        ("E3", "Account Executive", "M2", Decimal("1.2000000000"), 1, 3, 1, 1),
        ("E4", "Solutions Engineer", "M1", Decimal("0.3000000000"), 1, 1, 3, 3),
    ]


def test_the_close_report_lists_the_top_of_each_role(scenario: Scenario) -> None:
    report = (scenario.root / "out" / "2026-01" / "close-report.md").read_text()
    assert "## Leaderboard (2026-01)" in report
    assert (
        "Account Executive: 1. E1 E1 Rep 120.0% (of 3); 1. E3 E3 Rep 120.0% (of 3); "
        "3. E2 E2 Rep 60.0% (of 3)" in report
    )
    assert "Solutions Engineer: 1. E4 E4 Rep 30.0% (of 1)" in report


def test_a_statement_shows_the_rank_only_when_turned_on(scenario: Scenario) -> None:
    off = parse_settings({"company": "S", "reporting_currency": "USD"})
    on = parse_settings(
        {"company": "S", "reporting_currency": "USD",
         "leaderboard": {"show_rank_on_statements": True}}
    )  # fmt: skip
    with duckdb_file(str(scenario.root / "warehouse.duckdb"), read_only=True) as con:
        assert rep_ranks(con, off, "E2", "2026-01") == []
        (rank,) = rep_ranks(con, on, "E2", "2026-01")
        assert rep_ranks(con, on, "M1", "2026-01") == []  # no quota: not ranked
    assert (rank.rank_in_role, rank.role_size, rank.rank_in_team, rank.team_size) == (3, 3, 2, 3)
    assert rank.text() == (
        "Rank 3 of 3 (Account Executive), 2 of 3 in the team; attainment 60.0% of quota for "
        "the period from 2026-01-01"
    )


def _statement(root: Path, employee: str) -> tuple[str, list[dict[str, str]]]:
    folder = root / "out" / "2026-01" / "statements"
    with (folder / f"{employee}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return (folder / f"{employee}.html").read_text(encoding="utf-8"), rows


def test_statements_carry_the_rank_line_only_when_turned_on(
    scenario: Scenario, tmp_path: Path
) -> None:
    line = (
        "Rank 3 of 3 (Account Executive), 2 of 3 in the team; attainment 60.0% of quota for "
        "the period from 2026-01-01"
    )
    html, rows = _statement(scenario.root, "E2")  # closed with the default: off
    assert "Rank " not in html and not [r for r in rows if r["section"] == "rank"]
    # the same workspace, turned on: the month's files rebuilt from finance show the line
    root = tmp_path / "ws"
    shutil.copytree(scenario.root, root, ignore=shutil.ignore_patterns("*.lock", "lock"))
    settings = root / "openspm.yaml"
    settings.write_text(settings.read_text() + "leaderboard:\n  show_rank_on_statements: true\n")
    ws = Workspace.open(root)
    assert ws.settings.leaderboard.show_rank_on_statements
    with duckdb_file(str(root / "warehouse.duckdb"), read_only=True) as connection:
        rebuild_month_files(ws, connection, "2026-01")
    html, rows = _statement(root, "E2")
    assert f"{line}." in html
    (rank,) = [r for r in rows if r["section"] == "rank"]
    assert (rank["item"], rank["plan_id"], rank["quota_period_start"], rank["detail"]) == (
        "Account Executive", "Q", "2026-01-01", line
    )
    assert rank["amount"] == ""  # nothing to add up
    html, rows = _statement(root, "E3")
    assert "Rank 1 of 3 (Account Executive), 1 of 1 in the team" in html
