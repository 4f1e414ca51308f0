"""End to end through Dagster: landing batches -> raw -> typed, versioned staging tables."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_workspace, query
from typer.testing import CliRunner

from openspm.cli import app
from openspm.demo import DemoSize
from openspm.entities import ENTITIES, Entity, entity
from openspm.workspace import Workspace
from pipelines.runner import PipelineError, run_job

pytestmark = pytest.mark.slow
TINY = DemoSize(employees=25, deals=600, months=13)


def _read_batch(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        frame = pd.read_parquet(path)
    frame["_file"] = path.name
    frame["_row"] = range(1, len(frame) + 1)
    return frame


def expected_latest(workspace: Workspace, ent: Entity) -> pd.DataFrame:
    """The contract's versioning rule computed independently of dbt, with pandas."""
    folder = workspace.entity_dir(ent.system, ent.name)
    batches = [_read_batch(p) for p in sorted(folder.glob("*")) if p.suffix in (".csv", ".parquet")]
    rows = pd.concat([b.astype({c: str for c in ent.key}) for b in batches], ignore_index=True)
    order = ["_file", "_row"]
    if ent.versioned_by:
        rows["_version"] = pd.to_datetime(
            rows[ent.versioned_by].astype(str), utc=True, format="ISO8601"
        )
        order = ["_version", *order]
    latest = rows.sort_values(order).groupby(list(ent.key), sort=False).tail(1)
    if ent.deletable and "is_deleted" in latest:
        deleted = latest["is_deleted"].astype(str).str.strip().str.lower().isin(["true", "1"])
        latest = latest[~deleted]
    return latest


def test_staging_holds_the_latest_version_of_every_record(built_demo: Workspace) -> None:
    for ent in ENTITIES:
        expected = expected_latest(built_demo, ent)
        (count,) = query(built_demo, f"select count(*) from staging.stg_{ent.table}")[0]
        assert count == len(expected), ent.folder
    deals = expected_latest(built_demo, entity("crm/deals"))
    want = {
        r.deal_id: (Decimal(str(r.amount)) if str(r.amount) not in ("", "None") else None)
        for r in deals.itertuples()
    }
    got = dict(query(built_demo, "select deal_id, amount from staging.stg_crm__deals"))
    assert got == want


def test_demo_exercises_edits_deletes_and_both_formats(built_demo: Workspace) -> None:
    (files, formats) = query(
        built_demo,
        "select count(*), count(distinct file_format) from raw.ingest_batches "
        "where entity = 'crm/deals' and status = 'loaded'",
    )[0]
    assert files > 2 and formats == 2
    (raw_rows, raw_keys) = query(
        built_demo, "select count(*), count(distinct deal_id) from raw.crm__deals"
    )[0]
    (staged,) = query(built_demo, "select count(*) from staging.stg_crm__deals")[0]
    assert raw_rows > raw_keys > staged  # re-delivered versions and deleted keys
    (quarantined,) = query(built_demo, "select count(*) from raw.ingest_quarantine")[0]
    assert quarantined == 0


def test_staging_types(built_demo: Workspace) -> None:
    types = dict(
        query(
            built_demo,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'staging' and table_name = 'stg_crm__deals'",
        )
    )
    assert types["is_won"] == "BOOLEAN"
    assert types["close_date"] == "DATE"
    assert types["modified_at"] == "TIMESTAMP"
    assert types["amount"].startswith("DECIMAL")


@pytest.fixture
def tiny(tmp_path: Path) -> Workspace:
    """A tiny workspace ingested once; tests change its landing data."""
    workspace = make_workspace(tmp_path / "tiny", seed=3, size=TINY)
    run_job("ingest_job", workspace)
    return workspace


def _counts(workspace: Workspace) -> tuple[int, int]:
    return query(
        workspace,
        "select (select count(*) from raw.crm__deals), (select count(*) from raw.ingest_batches)",
    )[0]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_reingestion_is_idempotent(tiny: Workspace) -> None:
    before = _counts(tiny)
    landing = _snapshot(tiny.landing_dir)
    run_job("ingest_job", tiny)
    assert _counts(tiny) == before
    assert _snapshot(tiny.landing_dir) == landing


def test_a_changed_batch_is_refused_by_name(tiny: Workspace) -> None:
    deals_dir = tiny.entity_dir("crm", "deals")
    batch = sorted(deals_dir.glob("*.csv"))[0]
    before = _counts(tiny)
    with batch.open("a", encoding="utf-8") as handle:
        handle.write(batch.read_text(encoding="utf-8").splitlines()[-1] + "\n")
    result = CliRunner().invoke(app, ["ingest", "--workspace", str(tiny.root), "--quiet"])
    assert result.exit_code == 1
    assert batch.name in result.output
    assert "changed" in result.output
    assert _counts(tiny) == before


def test_bad_values_are_quarantined_kept_out_of_staging_and_fail_the_checks(
    tiny: Workspace,
) -> None:
    deals_dir = tiny.entity_dir("crm", "deals")
    header = (
        "deal_id,account_id,owner_id,deal_type,stage,is_won,close_date,amount,currency,modified_at"
    )
    (deals_dir / "zz_late_fix.csv").write_text(
        f"{header}\n"
        "BAD-1,A1,U1,new_business,closed_won,true,2026-02-30,100.00,USD,2026-03-01T00:00:00Z\n"
        "BAD-2,A1,U1,upsell,closed_won,yes,2026-02-01,1e5,USD,2026-03-01T00:00:00Z\n",
        encoding="utf-8",
    )
    with pytest.raises(PipelineError, match="blocking asset check"):
        run_job("pipeline_job", tiny)  # drafts are built; the landing check fails
    problems = query(
        tiny,
        "select _file, _row_number, column_name, value, reason from raw.ingest_quarantine "
        "order by _row_number, column_name",
    )
    assert [(p[1], p[2], p[3]) for p in problems] == [
        (1, "close_date", "2026-02-30"),
        (2, "amount", "1e5"),
        (2, "deal_type", "upsell"),
        (2, "is_won", "yes"),
    ]
    assert all(p[0] == "crm/deals/zz_late_fix.csv" and p[4] for p in problems)
    (kept,) = query(tiny, "select count(*) from raw.crm__deals where deal_id like 'BAD-%'")[0]
    (staged,) = query(
        tiny, "select count(*) from staging.stg_crm__deals where deal_id like 'BAD-%'"
    )[0]
    assert (kept, staged) == (2, 0)


def test_edits_and_deletes_in_a_later_batch_reach_staging(tiny: Workspace) -> None:
    run_job("pipeline_job", tiny)
    (edited, removed) = query(
        tiny, "select deal_id from staging.stg_crm__deals order by deal_id limit 2"
    )
    edited, removed = edited[0], removed[0]
    header = (
        "deal_id,account_id,owner_id,deal_type,stage,is_won,close_date,amount,currency,"
        "modified_at,is_deleted"
    )
    rows = query(
        tiny,
        "select deal_id, account_id, owner_id, deal_type, stage, is_won, close_date, currency "
        f"from staging.stg_crm__deals where deal_id in ('{edited}', '{removed}') order by deal_id",
    )
    lines = [header]
    for (deal_id, account, owner, kind, stage, won, close, currency), amount, deleted in zip(
        rows, ("123456.78", "1.00"), ("false", "TRUE"), strict=True
    ):
        lines.append(
            f"{deal_id},{account},{owner},{kind},{stage},{str(won).lower()},{close},{amount},"
            f"{currency},2099-01-01T00:00:00Z,{deleted}"
        )
    (tiny.entity_dir("crm", "deals") / "zzz_corrections.csv").write_text(
        "\r\n".join(lines) + "\r\n", encoding="utf-8"
    )
    run_job("pipeline_job", tiny)
    staged = dict(
        query(
            tiny,
            "select deal_id, amount from staging.stg_crm__deals "
            f"where deal_id in ('{edited}', '{removed}')",
        )
    )
    assert staged == {edited: Decimal("123456.78")}


def test_demo_credits_reconcile_to_deal_amounts(built_demo: Workspace) -> None:
    """Each won deal's direct and split credits add up to its amount (docs/contract.md rule 2)."""
    mismatches = query(
        built_demo,
        """
        with credited as (
            select deal_id, sum(source_amount) as credited
            from intermediate.int_deal_credits
            where credit_type in ('direct', 'split')
            group by deal_id
        )
        select d.deal_id, d.amount, c.credited
        from staging.stg_crm__deals as d
        left join credited as c using (deal_id)
        where d.is_won and c.credited is distinct from d.amount
        """,
    )
    assert mismatches == []
    (won,) = query(built_demo, "select count(*) from staging.stg_crm__deals where is_won")[0]
    (credited,) = query(
        built_demo, "select count(distinct deal_id) from marts.fct_credits where not is_reversal"
    )[0]
    assert credited == won


def test_demo_credits_convert_at_their_rate(built_demo: Workspace) -> None:
    """Plan-currency amounts are source amount x the fx rate of the credit date, never 1.0."""
    (wrong, converted) = query(
        built_demo,
        """
        select
            count(*) filter (
                where abs(amount - sign(amount) * abs(source_amount) * fx_rate) > 0.000001
            ),
            count(*) filter (where source_currency <> currency)
        from intermediate.int_component_credits
        """,
    )[0]
    assert wrong == 0
    assert converted > 0
    kinds = {
        row[0]
        for row in query(built_demo, "select distinct rule from intermediate.int_component_credits")
    }
    assert kinds == {"direct_owner", "revenue_split", "overlay_split", "rollup", "clawback"}


def test_a_hierarchy_cycle_fails_the_run_naming_the_people(tiny: Workspace) -> None:
    jobs = tiny.entity_dir("hris", "job_history")
    ((top,),) = query(
        tiny,
        "select min(employee_id) from raw.hris__job_history where coalesce(manager_id, '') = ''",
    )
    ((below,),) = query(
        tiny, f"select min(employee_id) from raw.hris__job_history where manager_id = '{top}'"
    )
    (jobs / "zz_cycle.csv").write_text(
        "employee_id,effective_date,job_title,manager_id,status,modified_at\n"
        f"{top},2025-06-01,Chief Revenue Officer,{below},active,2099-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    with pytest.raises(PipelineError) as caught:
        run_job("pipeline_job", tiny)
    message = str(caught.value)
    assert "\n" not in message
    assert "hierarchy cycle from 2025-06-01" in message
    assert f"({top})" in message and f"({below})" in message


def test_validate_runs_every_check_on_a_scratch_copy_and_changes_nothing(
    built_demo: Workspace, tmp_path: Path
) -> None:
    def state() -> dict[str, str]:
        """Every file of the workspace but the commands' working files (.openspm/: the lock,
        logs, the scratch copy validate reuses so dbt's partial parsing serves it again)."""
        work = built_demo.root / ".openspm"
        files = [p for p in built_demo.root.rglob("*") if p.is_file() and work not in p.parents]
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    before = state()
    report = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["validate", "--workspace", str(built_demo.root), "--quiet", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "every blocking check passes for" in result.output
    assert state() == before  # the warehouse, landing, comp and out/ are as they were
    text = (report / "close-report.md").read_text(encoding="utf-8")
    assert "checked (validation only, nothing published)" in text
    assert "Won deals must have an amount of zero or more" in text  # a GX suite ran
    assert "Each payout's commission and SPIFF must equal the sum of its payout lines" in text
    assert (report / "close-report.html").exists()
