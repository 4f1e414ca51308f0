"""The monthly close: publication rules, atomicity under failures and kills, status, commands.

Most tests build a warehouse with synthetic draft tables (the columns of
docs/engine-interface.md), so they depend only on the interface, not on the engine models.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from typer.testing import CliRunner

from openspm import publish
from openspm.cli import app
from openspm.periods import (
    PeriodError,
    checked_range,
    first_period,
    parse_period,
    partition_key,
    period_of_partition_key,
    period_range,
)
from openspm.publish import PUBLISHED_TABLES, CloseRefused, publish_period
from openspm.statements import repair_month_files
from openspm.status import month_statuses, record_attempt
from openspm.warehouse import duckdb_file, table_exists
from openspm.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
PERIODS = ["2026-01", "2026-02", "2026-03"]
FINANCE_TABLES = (
    "payouts", "payout_lines", "attainment", "credits", "draw_balances", "adjustments",
    "opening_balances", "leaderboard", "commission_costs", "deferred_commission_layers",
    "deferred_commissions", "amortization_schedule", "journal_entries", "closes",
)
ACCOUNTING_DRAFTS = {  # the accounting marts, with the columns of openspm.publish
    "fct_commission_costs": "commission_costs",
    "fct_deferred_commission_layers": "deferred_commission_layers",
    "fct_deferred_commissions": "deferred_commissions",
    "fct_amortization_schedule": "amortization_schedule",
    "fct_journal_entries": "journal_entries",
}


def add_drafts(connection: duckdb.DuckDBPyConnection, periods: list[str] = PERIODS) -> None:
    """Draft tables as dbt writes them: three employees a month, payouts = sum of lines."""
    connection.execute("create schema if not exists marts")
    connection.execute(
        """create table if not exists marts.fct_payout_lines (employee_id varchar,
        period varchar, plan_id varchar, component_id varchar, quota_period_start date,
        line_type varchar, amount decimal(18,2), currency varchar)"""
    )
    connection.execute(
        """create table if not exists marts.fct_payouts (employee_id varchar, period varchar,
        currency varchar, commission decimal(18,2), spiff decimal(18,2),
        draw_top_up decimal(18,2), draw_recovery decimal(18,2), adjustments decimal(18,2),
        negative_carry_in decimal(18,2), net_payout decimal(18,2))"""
    )
    connection.execute(
        """create table if not exists marts.fct_attainment (employee_id varchar,
        plan_id varchar, component_id varchar, period varchar, quota_period_start date,
        credit_to_date decimal(38,10), quota decimal(20,6), attainment decimal(38,10),
        earnings_to_date decimal(38,10))"""
    )
    connection.execute(
        """create table if not exists marts.fct_credits (period varchar, credit_id varchar,
        entry varchar, event_type varchar, event_id varchar, deal_id varchar,
        employee_id varchar, credit_type varchar, is_reversal boolean, credit_date date,
        quota_period_start date, source_amount decimal(38,14), source_currency varchar,
        fx_rate decimal(24,12), amount decimal(38,14), currency varchar, plan_id varchar,
        component_id varchar, rollup_from_employee_id varchar)"""
    )
    connection.execute(
        """create table if not exists marts.fct_draw_balances (employee_id varchar,
        period varchar, currency varchar, draw_balance_before decimal(18,2),
        draw_balance_after decimal(18,2))"""
    )
    connection.execute(
        """create table if not exists marts.fct_adjustments (adjustment_id varchar,
        employee_id varchar, period varchar, amount decimal(20,6), currency varchar,
        reason varchar, source_row integer)"""
    )
    connection.execute(
        """create table if not exists marts.fct_opening_balances (period varchar,
        employee_id varchar, kind varchar, plan_id varchar, component_id varchar,
        quota_period_start date, line_kind varchar, amount decimal(18,2), currency varchar,
        source varchar, source_row integer, is_recorded boolean)"""
    )
    connection.execute(
        """create table if not exists marts.fct_leaderboard (period varchar,
        quota_period_start date, employee_id varchar, plan_id varchar, role varchar,
        team_manager_id varchar, credit_to_date decimal(38,10), quota decimal(20,6),
        currency varchar, attainment decimal(38,10), rank_in_role integer, role_size integer,
        rank_in_team integer, team_size integer)"""
    )
    for mart, table in ACCOUNTING_DRAFTS.items():
        columns = ", ".join(c.replace(" NOT NULL", "") for c in publish.PUBLISHED_TABLES[table])
        connection.execute(f"create table if not exists marts.{mart} ({columns})")
    for m, period in enumerate(periods, start=1):
        day = f"{period}-10"
        paid = Decimal(0)
        for e in range(1, 4):
            employee = f"E{e}"
            commission, restatement, spiff = Decimal(100 * e + m), Decimal(e), Decimal(10 * m)
            lines = [
                ("P1", "nb", "commission", commission),
                ("P1", "nb", "restatement", restatement),
                ("P1", "S1", "spiff", spiff),
            ]
            for plan, component, line_type, amount in lines:
                connection.execute(
                    "insert into marts.fct_payout_lines values (?, ?, ?, ?, ?, ?, ?, 'USD')",
                    [employee, period, plan, component, "2026-01-01", line_type, amount],
                )
            total = commission + restatement + spiff
            connection.execute(
                "insert into marts.fct_payouts values (?, ?, 'USD', ?, ?, 0, 0, 0, 0, ?)",
                [employee, period, commission + restatement, spiff, total],
            )
            # accounting: every line expensed on the employee's deal of the month
            deal_id = f"D-{period}-{e}"
            for plan, component, line_type, amount in lines:
                connection.execute(
                    "insert into marts.fct_commission_costs values (?, ?, ?, ?, ?, "
                    "'2026-01-01', null, ?, ?, 'change', 1000, ?, 'USD', ?, ?, 'USD', 'expensed')",
                    [period, employee, line_type, plan, component, deal_id,
                     f"{deal_id}/{employee}/USD", amount, amount, amount],
                )
            connection.execute(
                "insert into marts.fct_journal_entries values (?, ?, ?, 'commission_expense', "
                "?, 0, 'USD', 'deal', 'expense', 'commission_expense', ?, null)",
                [period, f"OSPM-{period}-USD-EXP", e, total, deal_id],
            )
            paid += total
        journal = [
            ("EXP", 4, "accrued_commissions", 0, paid, "expense"),
            ("PAY", 1, "accrued_commissions", paid, 0, "payout"),
            ("PAY", 2, "payroll_clearing", 0, paid, "payout"),
        ]
        for code, line, account, debit, credit, kind in journal:
            connection.execute(
                "insert into marts.fct_journal_entries values (?, ?, ?, ?, ?, ?, 'USD', 'total', "
                "?, ?, null, null)",
                [period, f"OSPM-{period}-USD-{code}", line, account, debit, credit, kind, account],
            )
            connection.execute(
                "insert into marts.fct_attainment values (?, 'P1', 'nb', ?, '2026-01-01', "
                "?, 1000, ?, ?)",
                [employee, period, commission * 10, commission / 100, commission],
            )
            connection.execute(
                "insert into marts.fct_leaderboard values (?, '2026-01-01', ?, 'P1', 'AE', "
                "null, ?, 1000, 'USD', ?, ?, 3, ?, 3)",
                [period, employee, commission * 10, commission / 100, 4 - e, 4 - e],
            )
            connection.execute(
                "insert into marts.fct_credits values (?, ?, 'add', 'deal', ?, ?, ?, 'direct',"
                " false, ?, '2026-01-01', ?, 'USD', 1, ?, 'USD', 'P1', 'nb', null)",
                [period, f"C-{period}-{e}", f"D-{period}-{e}", f"D-{period}-{e}", employee,
                 day, 1000, 1000],
            )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb_file(str(path)) as connection:
        add_drafts(connection)
    return path


def snapshot(path: Path) -> dict[str, list[tuple]]:
    with duckdb_file(str(path), read_only=True) as connection:
        return {
            t: connection.execute(f"select * from finance.{t} order by all").fetchall()
            for t in FINANCE_TABLES
        }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- periods


def test_period_parsing_and_ranges() -> None:
    assert parse_period(" 2026-03 ") == "2026-03"
    for bad, needle in [
        ("2026-13", "no month 13"),
        ("2026-00", "no month 00"),
        ("2026-3", "YYYY-MM"),
        ("March", "YYYY-MM"),
        ("2026-03-01", "YYYY-MM"),
    ]:
        with pytest.raises(PeriodError, match=needle):
            parse_period(bad)
    assert period_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert period_range("2026-02", "2026-01") == []
    with pytest.raises(PeriodError, match="after --to"):
        checked_range("2026-03", "2026-01")
    assert partition_key("2026-03") == "2026-03-01"
    assert period_of_partition_key("2026-03-01") == "2026-03"


def test_first_period_defaults_to_the_earliest_assignment(tmp_path: Path) -> None:
    (tmp_path / "comp").mkdir()
    (tmp_path / "openspm.yaml").write_text("company: A\nreporting_currency: USD\n")
    (tmp_path / "comp" / "plan_assignments.csv").write_text(
        "employee_id,plan_id,effective_from,effective_to,target_incentive\n"
        "E1,P1,2025-07-15,,1000\nE2,P1,2025-05-02,,1000\nE3,P1,not-a-date,,1\n"
    )
    ws = Workspace.open(tmp_path)
    assert first_period(ws) == "2025-05"
    with duckdb_file(":memory:") as connection:  # the comp table wins when present
        connection.execute("create schema comp")
        connection.execute(
            "create table comp.plan_assignments as select date '2025-03-31' as effective_from"
        )
        assert first_period(ws, connection) == "2025-03"
    (tmp_path / "openspm.yaml").write_text(
        "company: A\nreporting_currency: USD\nfirst_period: 2026-01\n"
    )
    assert first_period(Workspace.open(tmp_path)) == "2026-01"


# ---------------------------------------------------------------- publish_period


def test_publish_copies_exactly_the_period_stamped_with_the_run(warehouse: Path) -> None:
    with duckdb_file(str(warehouse)) as connection:
        report = publish_period(connection, "2026-01", "run-1", first_period="2026-01")
        assert (report.payouts, report.lines, report.attainment, report.credits) == (3, 9, 3, 3)
        for table in ("payouts", "payout_lines", "attainment", "credits"):
            rows = connection.execute(
                f"select distinct period, run_id, published_at from finance.{table}"
            ).fetchall()
            assert rows == [("2026-01", "run-1", report.published_at)], table
        drafts = connection.execute(
            "select * from marts.fct_credits where period = '2026-01' order by all"
        ).fetchall()
        published = connection.execute(
            "select * exclude (run_id, published_at) from finance.credits order by all"
        ).fetchall()
        assert published == drafts
        closes = connection.execute("select * from finance.closes").fetchall()
        expected_net = sum(Decimal(101 * e + 1) + 10 for e in range(1, 4))
        assert closes == [("2026-01", "run-1", report.published_at, 3, 9, expected_net)]
        assert report.net_total == expected_net


def test_closing_twice_is_refused_and_rewrites_nothing(warehouse: Path) -> None:
    with duckdb_file(str(warehouse)) as connection:
        publish_period(connection, "2026-01", "run-1", first_period="2026-01")
        connection.execute("update marts.fct_payouts set net_payout = 0")  # drafts changed
    before, before_bytes = snapshot(warehouse), digest(warehouse)
    with (
        duckdb_file(str(warehouse)) as connection,
        pytest.raises(CloseRefused, match=r"2026-01 is already closed \(run run-1"),
    ):
        publish_period(connection, "2026-01", "run-2", first_period="2026-01")
    assert snapshot(warehouse) == before
    assert digest(warehouse) == before_bytes


def test_earlier_open_month_and_missing_drafts_are_refused(warehouse: Path) -> None:
    with duckdb_file(str(warehouse)) as connection:
        with pytest.raises(CloseRefused, match="not closed: 2026-01, 2026-02; close 2026-01"):
            publish_period(connection, "2026-03", "r", first_period="2026-01")
        with pytest.raises(CloseRefused, match="before first_period"):
            publish_period(connection, "2025-12", "r", first_period="2026-01")
        publish_period(connection, "2026-01", "r1", first_period="2026-01")
        publish_period(connection, "2026-02", "r2", first_period="2026-01")
        publish_period(connection, "2026-03", "r3", first_period="2026-01")
        with pytest.raises(CloseRefused, match="no drafts computed for 2026-04"):
            publish_period(connection, "2026-04", "r4", first_period="2026-01")
        assert connection.execute("select count(*) from finance.closes").fetchone() == (3,)
    with (
        duckdb_file(str(warehouse.with_name("empty.duckdb"))) as connection,
        pytest.raises(CloseRefused, match=r"no marts\.fct_payouts"),
    ):
        publish_period(connection, "2026-01", "r", first_period="2026-01")


def test_a_failed_reconciliation_rolls_back(warehouse: Path) -> None:
    with duckdb_file(str(warehouse)) as connection:
        connection.execute(
            "update marts.fct_payouts set commission = commission + 0.01 "
            "where employee_id = 'E2' and period = '2026-01'"
        )
        with pytest.raises(CloseRefused, match=r"reconciliation failed: .*employee E2, 2026-01"):
            publish_period(connection, "2026-01", "r", first_period="2026-01")
    assert all(rows == [] for rows in snapshot(warehouse).values())


def test_a_month_without_accounting_drafts_is_refused(warehouse: Path) -> None:
    """Payouts drafted without their accounting (a build drafts the accounting of the next
    month to close only): the close says so instead of publishing half a month."""
    with duckdb_file(str(warehouse)) as connection:
        connection.execute("delete from marts.fct_commission_costs where period = '2026-01'")
        with pytest.raises(CloseRefused, match="accounting was not drafted"):
            publish_period(connection, "2026-01", "r", first_period="2026-01")
    assert all(rows == [] for rows in snapshot(warehouse).values())


def test_a_failure_in_the_middle_leaves_finance_unchanged(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with duckdb_file(str(warehouse)) as connection:
        publish_period(connection, "2026-01", "r1", first_period="2026-01")
    before = snapshot(warehouse)
    real_insert, calls = publish._insert, []

    def failing_insert(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(publish, "_insert", failing_insert)
    with duckdb_file(str(warehouse)) as connection:
        with pytest.raises(RuntimeError, match="disk on fire"):
            publish_period(connection, "2026-02", "r2", first_period="2026-01")
        assert snapshot_of(connection) == before  # same connection still consistent
    assert snapshot(warehouse) == before
    monkeypatch.setattr(publish, "_insert", real_insert)
    with duckdb_file(str(warehouse)) as connection:
        assert publish_period(connection, "2026-02", "r2", first_period="2026-01").payouts == 3


def snapshot_of(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        t: connection.execute(f"select * from finance.{t} order by all").fetchall()
        for t in FINANCE_TABLES
    }


PAUSING_PUBLISHER = Path(__file__).with_name("publish_with_pauses.py")


@pytest.mark.parametrize("kill_after", [1, 2, 3, 4, "committed"])
def test_a_kill_at_any_point_leaves_all_or_nothing(warehouse: Path, kill_after) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, str(PAUSING_PUBLISHER), str(warehouse), "0.2"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        seen = 0
        for line in process.stdout:  # type: ignore[union-attr]
            if line.startswith("publish: inserted"):
                seen += 1
                if seen == kill_after:
                    break
            if line.startswith("publish: committed"):
                break
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    tables = snapshot(warehouse)
    if kill_after == "committed":
        assert [len(tables[t]) for t in FINANCE_TABLES] == [
            3, 9, 3, 3, 0, 0, 0, 3, 9, 0, 0, 0, 6, 1
        ]  # fmt: skip
        with (
            duckdb_file(str(warehouse)) as connection,
            pytest.raises(CloseRefused, match="already closed"),
        ):
            publish_period(connection, "2026-01", "again", first_period="2026-01")
    else:
        assert all(rows == [] for rows in tables.values()), kill_after
        with duckdb_file(str(warehouse)) as connection:
            report = publish_period(connection, "2026-01", "again", first_period="2026-01")
        assert report.payouts == 3


# ---------------------------------------------------------------- status and commands


def make_close_workspace(root: Path) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    (root / "openspm.yaml").write_text(
        "company: A\nreporting_currency: USD\nfirst_period: 2026-01\n"
    )
    with duckdb_file(str(root / "warehouse.duckdb")) as connection:
        add_drafts(connection)
    return Workspace.open(root)


def test_status_lists_published_open_and_failing_months(tmp_path: Path) -> None:
    ws = make_close_workspace(tmp_path / "ws")
    with duckdb_file(str(ws.warehouse_path)) as connection:
        publish_period(connection, "2026-01", "run-jan", first_period="2026-01")
        record_attempt(connection, "2026-03", "close", "run-mar", False, "dbt build failed: x")
        record_attempt(connection, "2026-02", "run", "run-feb-1", False, "dbt build failed: y")
        states = [(m.period, m.state) for m in month_statuses(connection, "2026-01")]
        assert states == [("2026-01", "published"), ("2026-02", "failing"), ("2026-03", "failing")]
        record_attempt(connection, "2026-02", "run", "run-feb-2", True, "drafts")
        states = [(m.period, m.state) for m in month_statuses(connection, "2026-01")]
        assert states[1] == ("2026-02", "open")
    result = runner.invoke(app, ["status", "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    # 2026-01 was published here without a close: the next command writes its files
    assert "2026-01 was published without its files; rebuilt from finance" in result.output
    assert (ws.root / "out" / "2026-01" / "month-files.json").is_file()
    lines = [s for s in result.output.splitlines() if not s.startswith("openspm: warning")]
    assert lines[0].startswith("2026-01  published  run run-jan") and "3 payouts" in lines[0]
    assert lines[1] == "2026-02  open"
    assert lines[2].startswith("2026-03  failing") and "dbt build failed: x" in lines[2]
    assert lines[3] == (
        "1 published, 1 open, 1 failing (first_period 2026-01); next to close: 2026-02"
    )


def test_close_refusals_exit_non_zero_with_one_line(tmp_path: Path) -> None:
    ws = make_close_workspace(tmp_path / "ws")
    with duckdb_file(str(ws.warehouse_path)) as connection:
        publish_period(connection, "2026-01", "run-jan", first_period="2026-01")
    assert repair_month_files(ws) == ["2026-01"]  # what a close writes after publishing
    before = snapshot(ws.warehouse_path)
    cases = [
        (["--period", "2026-01"], "2026-01 is already closed (run run-jan"),
        (
            ["--period", "2026-03"],
            "earlier month(s) since first_period 2026-01 are not closed: 2026-02",
        ),
        (["--period", "2025-12"], "before first_period 2026-01"),
        (["--period", "2026-13"], "--period '2026-13' has no month 13"),
    ]
    for args, needle in cases:
        result = runner.invoke(app, ["close", "--workspace", str(ws.root), *args])
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert needle in result.output, result.output
    assert snapshot(ws.warehouse_path) == before
    # a refused request changes nothing: no month is failing, none is listed beyond the data
    result = runner.invoke(app, ["status", "--workspace", str(ws.root)])
    assert result.output.splitlines() == [
        result.output.splitlines()[0],
        "2026-02  open",
        "2026-03  open",
        "1 published, 2 open, 0 failing (first_period 2026-01); next to close: 2026-02",
    ]
    for typo in ("2030-01", "2026-05"):  # after the data: refused, and nothing recorded
        refused = runner.invoke(app, ["close", "--workspace", str(ws.root), "--period", typo])
        assert refused.exit_code == 1 and "close 2026-02 first" in refused.output
    again = runner.invoke(app, ["status", "--workspace", str(ws.root)])
    assert again.output == result.output
    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        assert not table_exists(connection, "ops.close_attempts")  # nothing was ever recorded


def test_period_options_are_validated(tmp_path: Path) -> None:
    ws = make_close_workspace(tmp_path / "ws")
    for args, needle in [
        (["run", "--through", "26-03"], "--through '26-03' is not a month written YYYY-MM"),
        (["backfill", "--from", "2026-03", "--to", "2026-01"], "--from 2026-03 is after --to"),
        (["backfill", "--from", "2026-1", "--to", "2026-03"], "--from '2026-1' is not a month"),
    ]:
        result = runner.invoke(app, [*args, "--workspace", str(ws.root)])
        assert result.exit_code == 1 and needle in result.output, result.output


def test_months_outside_the_partitions_are_refused(tmp_path: Path) -> None:
    ws = make_close_workspace(tmp_path / "ws")
    result = runner.invoke(app, ["run", "--through", "2999-01", "--workspace", str(ws.root)])
    assert result.exit_code == 1
    assert (
        "month 2999-01 is outside the months of this workspace: 2026-01 (first_period)"
        in result.output
    )


@pytest.mark.parametrize("command", ["run", "close", "backfill", "status"])
def test_close_commands_have_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "--workspace" in result.output
    assert {"close": "--period", "backfill": "--from", "run": "--through"}.get(
        command, "Usage"
    ) in result.output


# ---------------------------------------------------------------- Dagster


def test_jobs_partitions_and_single_run_backfills() -> None:
    from pipelines.definitions import defs

    jobs = {job.name: job for job in defs.resolve_all_job_defs()}
    assert {"close_job", "pipeline_job", "ingest_job"} <= set(jobs)
    graph = defs.resolve_asset_graph()
    close_keys = jobs["close_job"].asset_layer.selected_asset_keys
    finance = {dg.AssetKey(["finance", t]) for t in (*PUBLISHED_TABLES, "closes")}
    assert finance <= close_keys
    assert not finance & jobs["pipeline_job"].asset_layer.selected_asset_keys
    partitioned = [k for k in close_keys if graph.get(k).partitions_def is not None]
    assert dg.AssetKey("fct_credits") in partitioned
    for key in partitioned:
        assert graph.get(key).backfill_policy == dg.BackfillPolicy.single_run(), key
    partitions = jobs["close_job"].partitions_def
    assert partitions.get_partition_keys()[0] == "2020-01-01"
    published = graph.get(dg.AssetKey(["finance", "payouts"]))
    # every published table also waits for the month's staged files (statements, payroll)
    staged = dg.AssetKey("staged_month_files")
    assert published.parent_keys == {dg.AssetKey("fct_payouts"), staged}
    assert graph.get(dg.AssetKey(["finance", "credits"])).parent_keys == {
        dg.AssetKey("fct_credits"),
        staged,
    }
    assert all(graph.get(k).description for k in finance)
    for name in ("close_job", "pipeline_job"):
        assert jobs[name].executor_def.name == "in_process"


def test_schedules_request_the_right_partitions() -> None:
    from pipelines.definitions import defs
    from pipelines.schedules import monthly_close_schedule, nightly_refresh_schedule

    repo = defs.get_repository_def()

    assert monthly_close_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert nightly_refresh_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    context = dg.build_schedule_context(
        repository_def=repo, scheduled_execution_time=datetime(2026, 4, 1, 4)
    )
    request = monthly_close_schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-03-01"
    context = dg.build_schedule_context(
        repository_def=repo, scheduled_execution_time=datetime(2026, 1, 1, 4)
    )
    assert monthly_close_schedule.evaluate_tick(context).run_requests[0].partition_key == (
        "2025-12-01"
    )
    context = dg.build_schedule_context(
        repository_def=repo, scheduled_execution_time=datetime(2026, 4, 17, 2)
    )
    request = nightly_refresh_schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-04-01"


def test_publish_asset_publishes_one_partition_and_refuses_a_second_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assets.publish import build_publication
    from assets.resources import WorkspaceResource
    from openspm.quality import CheckOutcome, Severity, Status

    ws = make_close_workspace(tmp_path / "ws")
    published_month = build_publication("2026-01")
    resources = {"workspace": WorkspaceResource(path=str(ws.root))}
    instance = dg.DagsterInstance.ephemeral()
    # alone, without the data-quality checks in its run, the asset publishes nothing
    unchecked = dg.materialize(
        [published_month],
        partition_key="2026-01-01",
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )
    assert not unchecked.success
    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        assert connection.execute("select count(*) from finance.closes").fetchone() == (0,)
        (message,) = connection.execute(
            "select message from ops.close_attempts where run_id = ?", [unchecked.run_id]
        ).fetchone()
    assert "checks did not run" in message
    # with the run's checks recorded as passed (here: stood in for), it publishes
    passed = CheckOutcome("stand_in", "All checks", Severity.BLOCKING, Status.PASSED)
    monkeypatch.setattr("assets.publish.load_outcomes", lambda connection, run_id: [passed])
    result = dg.materialize(
        [published_month], partition_key="2026-01-01", resources=resources, instance=instance
    )
    assert result.success
    materializations = {
        m.asset_key.path[-1]: m.metadata
        for m in result.asset_materializations_for_node("publish_month")
    }
    assert materializations["closes"]["payouts"].value == 3
    assert materializations["payout_lines"]["rows"].value == 9
    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        assert connection.execute("select period, run_id from finance.closes").fetchall() == [
            ("2026-01", result.run_id)
        ]
    before = snapshot(ws.warehouse_path)
    again = dg.materialize(
        [published_month],
        partition_key="2026-01-01",
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )
    assert not again.success
    assert snapshot(ws.warehouse_path) == before
    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        assert connection.execute(  # refused as asked ("already closed"): nothing recorded
            "select count(*) from ops.close_attempts where run_id = ?", [again.run_id]
        ).fetchone() == (0,)

    # the run failure sensor records a failed close launched from Dagster, not a refusal
    from pipelines.sensors import close_failure_sensor

    monkeypatch.setenv("OPENSPM_WORKSPACE", str(ws.root))

    def sense(run: dg.ExecuteInProcessResult) -> list[tuple]:
        failure = next(e for e in run.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="close_failure_sensor",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run.dagster_run,
        ).for_run_failure()
        close_failure_sensor(context)
        with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
            return connection.execute(
                "select period, ok from ops.close_attempts where run_id = ?", [run.run_id]
            ).fetchall()

    assert sense(again) == []
    with duckdb_file(str(ws.warehouse_path)) as connection:
        connection.execute("delete from ops.close_attempts")
    assert sense(unchecked) == [("2026-01", False)]


# ---------------------------------------------------------------- end to end (real dbt engine)


@pytest.mark.slow
def test_a_demo_closes_in_order_through_the_cli(tmp_path: Path) -> None:
    """Two months close in order; month 3 before 2 is refused; a failing dbt check publishes
    nothing and shows as failing; closing again rewrites nothing."""
    from conftest import make_workspace

    from openspm.demo import DemoSize

    ws = make_workspace(tmp_path / "demo", size=DemoSize(employees=25, deals=600, months=13))
    root = ["--workspace", str(ws.root), "--quiet"]
    first = first_period(ws)
    months = period_range(first, "2099-12")[:3]

    closed = runner.invoke(app, ["close", "--period", months[0], *root])
    assert closed.exit_code == 0, closed.output
    assert f"{months[0]} closed:" in closed.output
    refused = runner.invoke(app, ["close", "--period", months[2], *root])
    assert refused.exit_code == 1
    assert f"close {months[1]} first" in refused.output
    closed = runner.invoke(app, ["close", "--period", months[1], *root])
    assert closed.exit_code == 0, closed.output

    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        closes = connection.execute("select period from finance.closes order by 1").fetchall()
        assert closes == [(months[0],), (months[1],)]
        per_month = connection.execute(
            "select period, count(distinct run_id) from finance.payouts group by 1 order by 1"
        ).fetchall()
        assert per_month == [(months[0], 1), (months[1], 1)]
        (payouts_net,) = connection.execute(
            "select sum(net_payout) from finance.payouts where period = ?", [months[0]]
        ).fetchone()
        (close_net,) = connection.execute(
            "select net_total from finance.closes where period = ?", [months[0]]
        ).fetchone()
        assert payouts_net == close_net
    before = snapshot(ws.warehouse_path)
    again = runner.invoke(app, ["close", "--period", months[0], *root])
    assert again.exit_code == 1 and "already closed" in again.output
    assert snapshot(ws.warehouse_path) == before

    # a failing blocking check (a hierarchy cycle) fails the dbt step: nothing publishes
    jobs = ws.entity_dir("hris", "job_history")
    with duckdb_file(str(ws.warehouse_path), read_only=True) as connection:
        ((top,),) = connection.execute(
            "select min(employee_id) from raw.hris__job_history where coalesce(manager_id, '') = ''"
        ).fetchall()
        ((below,),) = connection.execute(
            f"select min(employee_id) from raw.hris__job_history where manager_id = '{top}'"
        ).fetchall()
    (jobs / "zz_cycle.csv").write_text(
        "employee_id,effective_date,job_title,manager_id,status,modified_at\n"
        f"{top},{months[0]}-01,Chief Revenue Officer,{below},active,2099-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    failed = runner.invoke(app, ["close", "--period", months[2], *root])
    assert failed.exit_code == 1
    cause = failed.output.strip().splitlines()[-1]  # dbt's own log precedes the one-line cause
    assert cause.startswith(f"openspm: error: {months[2]} not published: "), cause
    assert "hierarchy cycle" in cause
    report = ws.out_dir / months[2] / "close-report.md"
    assert f"(close report: {report})" in cause
    assert "hierarchy cycle" in report.read_text(encoding="utf-8")
    assert snapshot(ws.warehouse_path) == before
    status = runner.invoke(app, ["status", "--workspace", str(ws.root)])
    assert status.exit_code == 0, status.output
    assert f"{months[2]}  failing" in status.output and "hierarchy cycle" in status.output
    assert status.output.count("  published  ") == 2


def test_a_failing_reason_goes_stale_when_an_earlier_month_is_published(tmp_path: Path) -> None:
    """Issue 12 item 7: 2026-03 failed while 2026-02 was open; publishing 2026-02 afterwards
    makes that failure a judgement of a past that changed: 2026-03 is open again."""
    ws = make_close_workspace(tmp_path / "ws")
    with duckdb_file(str(ws.warehouse_path)) as connection:
        publish_period(connection, "2026-01", "run-jan", first_period="2026-01")
        record_attempt(connection, "2026-03", "close", "run-mar", False, "a blocking check failed")
        before = {m.period: m.state for m in month_statuses(connection, "2026-01")}
        assert before == {"2026-01": "published", "2026-02": "open", "2026-03": "failing"}
        publish_period(connection, "2026-02", "run-feb", first_period="2026-01")
        after = {m.period: (m.state, m.reason) for m in month_statuses(connection, "2026-01")}
    assert after["2026-03"] == ("open", None)
    listing = runner.invoke(app, ["status", "--workspace", str(ws.root)])
    assert "a blocking check failed" not in listing.output
    assert listing.output.splitlines()[-1].endswith("next to close: 2026-03")


def test_close_through_stops_at_the_first_month_that_cannot_be_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop of `close --through`: months in order from the first open one; the first
    failure stops it, naming the months closed before it (each close itself is the real one,
    tested above and in tests/test_readme.py)."""
    from pipelines import close as driver

    ws = make_close_workspace(tmp_path / "ws")
    with duckdb_file(str(ws.warehouse_path)) as connection:
        publish_period(connection, "2026-01", "run-jan", first_period="2026-01")
    asked: list[str] = []

    def close_month(ws: Workspace, month: str, **kwargs: object) -> driver.CloseResult:
        asked.append(month)
        if month == "2026-03":
            raise driver.CloseError("2026-03 not published: a blocking check failed")
        return driver.CloseResult(month, f"run-{month}", 1.0, 3, 9)

    monkeypatch.setattr(driver, "close_month", close_month)
    assert driver.months_to_close(ws, "2026-04") == ["2026-02", "2026-03", "2026-04"]
    heard: list[str] = []
    with pytest.raises(driver.CloseError) as stopped:
        driver.close_through(ws, "2026-04", closed=lambda result: heard.append(result.period))
    assert asked == ["2026-02", "2026-03"] and heard == ["2026-02"]
    assert str(stopped.value) == (
        "closed 1 month(s), 2026-02 to 2026-02; 2026-03 stopped the close: 2026-03 not "
        "published: a blocking check failed"
    )
    with pytest.raises(driver.CloseError, match="before first_period 2026-01; nothing to close"):
        driver.months_to_close(ws, "2025-12")
