"""The benchmark floor (bench/floor.sql) computes what the dbt engine computes, row for row."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import pytest

from openspm.demo import DemoSize, generate_workspace
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace
from pipelines.runner import run_job

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from floor import COMPARED, FloorMismatch, compare_with_warehouse, run_floor

# Q4 SPIFFs, a plan-year change, new hires with draws; first_period after the first two months:
# a go-live, so the quota periods begun before it count as paid to its start (rule 4.12)
TINY = DemoSize(employees=40, deals=300, months=6, start=date(2025, 10, 1))
FIRST_PERIOD = "2025-12"


@pytest.fixture(scope="module")
def tiny_built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("floor") / "ws"
    generate_workspace(root, seed=11, size=TINY)
    settings = root / "openspm.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r"(?m)^first_period: .*$", f"first_period: {FIRST_PERIOD}", text))
    adjustments = root / "comp" / "adjustments.csv"  # a month before go-live can never be paid
    header, *rows = adjustments.read_text(encoding="utf-8").splitlines()
    kept = [r for r in rows if r.split(",")[2] >= FIRST_PERIOD]
    adjustments.write_text("\n".join([header, *kept]) + "\n", encoding="utf-8")
    workspace = Workspace.open(root)
    run_job("pipeline_job", workspace)
    return workspace


@pytest.mark.slow
def test_floor_equals_the_dbt_marts(tiny_built: Workspace, tmp_path: Path) -> None:
    database = tmp_path / "floor.duckdb"
    run = run_floor(tiny_built, database)
    counts = compare_with_warehouse(database, tiny_built.warehouse_path)
    assert counts == run.rows
    assert all(counts[name] > 0 for name in COMPARED)
    with duckdb_file(str(database), read_only=True) as con:
        kinds = {
            row[0] for row in con.execute("select line_type from floor_out.payout_lines").fetchall()
        }
        types = set(
            con.execute(
                "select distinct credit_type, is_reversal from floor_out.credits"
            ).fetchall()
        )
        events = {
            row[0] for row in con.execute("select event_type from floor_out.credits").fetchall()
        }
        (months,) = con.execute("select min(period) from floor_out.payouts").fetchone()
        (before,) = con.execute(
            "select count(*) from floor_out.credits where credit_date < ?", [f"{FIRST_PERIOD}-01"]
        ).fetchone()
    assert kinds == {"commission", "spiff"}  # go-live: nothing before first_period is paid again
    assert {(t, r) for t in ("direct", "split", "overlay", "rollup") for r in (False,)} <= types
    assert ("direct", True) in types  # clawbacks
    assert events == {"deal", "payment"}  # the demo pays its CSMs on collections (rule 4.2)
    assert months == FIRST_PERIOD
    assert before > 0  # the first close's ledger holds the credits before first_period


@pytest.mark.slow
def test_a_changed_floor_result_is_reported(tiny_built: Workspace, tmp_path: Path) -> None:
    database = tmp_path / "floor.duckdb"
    run_floor(tiny_built, database)
    with duckdb_file(str(database)) as con:
        con.execute(
            "update floor_out.payouts set net_payout = net_payout + 0.01 "
            "where rowid = (select min(rowid) from floor_out.payouts)"
        )
    with pytest.raises(FloorMismatch, match=r"floor_out\.payouts"):
        compare_with_warehouse(database, tiny_built.warehouse_path)
