"""Incremental builds: a nightly run over new deal, split, invoice and payment batches equals a
full rebuild (the demo pays its customer success managers on collections, rule 4.2)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from assets.run_tags import FULL_REFRESH_TAG
from openspm.dbt_project import DBT_PROJECT_DIR
from openspm.demo import DemoSize, generate_workspace
from openspm.incremental import LAST_BUILD, incremental_tables, plan_build
from openspm.warehouse import duckdb_file
from openspm.workspace import Workspace
from pipelines.runner import run_job

SIZE = DemoSize(employees=40, deals=600, months=6, start=date(2025, 10, 1))
MODIFIED = "2026-04-02T02:00:00Z"  # after every delivered version
# every incremental table, and the marts computed from them
COMPARED = (
    *incremental_tables(),
    "marts.fct_attainment",
    "marts.fct_payout_lines",
    "marts.fct_payouts",
)
DEAL_COLUMNS = (
    "deal_id, account_id, owner_id, deal_type, stage, is_won, close_date, amount, currency, "
    "contract_start_date, contract_term_months, cancelled_date"
)


def _mode(ws: Workspace) -> str:
    with duckdb_file(str(ws.warehouse_path), read_only=True) as con:
        return con.execute(f"select mode from {LAST_BUILD}").fetchone()[0]


def _write_nightly_batches(ws: Workspace) -> None:
    """Deals edited, deleted, lost and new; a split moved to another deal and one deleted;
    invoices voided, moved to another deal and new; payments new, moved and deleted."""
    deals = ws.root / "landing" / "crm" / "deals" / "deals_2026-04-nightly.csv"
    splits = ws.root / "landing" / "crm" / "deal_splits" / "deal_splits_2026-04-nightly.csv"
    invoices = ws.root / "landing" / "erp" / "invoices" / "invoices_2026-04-nightly.csv"
    payments = ws.root / "landing" / "erp" / "payments" / "payments_2026-04-nightly.csv"
    with duckdb_file(str(ws.warehouse_path), read_only=True) as con:
        con.execute(
            f"""
            copy (
                with won as (
                    select {DEAL_COLUMNS}, row_number() over (order by deal_id) as n
                    from staging.stg_crm__deals
                    where is_won
                        and deal_id not in (select deal_id from staging.stg_crm__deal_splits)
                )
                select
                    case when n % 5 = 4 then 'DN' || deal_id else deal_id end as deal_id,
                    account_id, owner_id, deal_type,
                    case when n % 5 = 2 then 'closed_lost' else stage end as stage,
                    case when n % 5 = 2 then 'false' else cast(is_won as varchar) end as is_won,
                    close_date,
                    case when n % 5 = 0 then round(amount * 1.1, 2) else amount end as amount,
                    currency, contract_start_date, contract_term_months,
                    case when n % 5 = 3 then close_date + 10 else cancelled_date end
                        as cancelled_date,
                    '{MODIFIED}' as modified_at,
                    case when n % 5 = 1 then 'true' else 'false' end as is_deleted
                from won
                where n <= 25
            ) to '{deals}' (header, delimiter ',')
            """
        )
        con.execute(
            f"""
            copy (
                with picked as (
                    select *, row_number() over (order by split_id) as n
                    from staging.stg_crm__deal_splits
                ),
                target as (
                    select deal_id as other_deal from staging.stg_crm__deals
                    where is_won and deal_id not in (select deal_id from picked)
                    order by deal_id limit 1
                )
                select split_id,
                    case when n = 1 then other_deal else deal_id end as deal_id,
                    owner_id, split_type, split_percent,
                    '{MODIFIED}' as modified_at,
                    case when n = 2 then 'true' else 'false' end as is_deleted
                from picked, target
                where n <= 2
            ) to '{splits}' (header, delimiter ',')
            """
        )
        # the invoices and payments behind collection credits: a change to them changes money
        con.execute(
            """
            create temp table paid as
            select payments.*, invoices.deal_id, invoices.invoice_date, invoices.status,
                invoices.amount as invoice_amount,
                row_number() over (order by payments.payment_id) as n
            from staging.stg_erp__payments as payments
            join staging.stg_erp__invoices as invoices using (invoice_id)
            where payments.payment_id in (
                select event_id from intermediate.int_invoice_payment_credits
                where event_type = 'payment'
            )
            """
        )
        con.execute(
            f"""
            copy (
                -- n = 1: voided; n = 2: moved to n = 3's deal; n = 4: a credit memo on its deal
                select invoice_id, deal_id, invoice_date, invoice_amount as amount, currency,
                    'void' as status, '{MODIFIED}' as modified_at
                from paid where n = 1
                union all
                select invoice_id, (select deal_id from paid where n = 3), invoice_date,
                    invoice_amount, currency, status, '{MODIFIED}'
                from paid where n = 2
                union all
                select 'CM-' || invoice_id, deal_id, invoice_date + 20,
                    -round(invoice_amount / 4, 2), currency, 'open', '{MODIFIED}'
                from paid where n = 4
            ) to '{invoices}' (header, delimiter ',')
            """
        )
        con.execute(
            f"""
            copy (
                -- n = 5: deleted; n = 6: moved to n = 7's invoice; n = 8: paid again (new)
                select payment_id, invoice_id, payment_date, amount, currency,
                    '{MODIFIED}' as modified_at, 'true' as is_deleted
                from paid where n = 5
                union all
                select payment_id, (select invoice_id from paid where n = 7), payment_date,
                    amount, currency, '{MODIFIED}', 'false'
                from paid where n = 6
                union all
                select 'PN-' || payment_id, invoice_id, payment_date + 3, round(amount / 10, 2),
                    currency, '{MODIFIED}', 'false'
                from paid where n = 8
            ) to '{payments}' (header, delimiter ',')
            """
        )


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Workspace]:
    """A workspace after a full run and a nightly (incremental) run; a full rebuild beside it."""
    root = tmp_path_factory.mktemp("incremental") / "ws"
    generate_workspace(root, seed=5, size=SIZE)
    ws = Workspace.open(root)
    run_job("pipeline_job", ws)
    assert _mode(ws) == "full refresh"
    _write_nightly_batches(ws)
    run_job("pipeline_job", ws)

    rebuilt_root = root.parent / "rebuilt"
    shutil.copytree(root, rebuilt_root)
    rebuilt = Workspace.open(rebuilt_root)
    # nothing new: incremental, unless asked (`openspm run --full-refresh` sets this tag)
    run_job("pipeline_job", rebuilt, tags={FULL_REFRESH_TAG: "true"})
    return ws, rebuilt


@pytest.mark.slow
def test_the_nightly_run_is_incremental_and_equals_a_full_rebuild(
    nightly: tuple[Workspace, Workspace],
) -> None:
    ws, rebuilt = nightly
    assert _mode(ws) == "incremental"
    assert _mode(rebuilt) == "full refresh"
    with duckdb_file(str(ws.warehouse_path), read_only=True) as con:
        con.execute(f"attach '{rebuilt.warehouse_path}' as rebuilt (read_only)")
        for table in COMPARED:
            # the rows' load times differ between the two builds; every other column must not
            columns = ", ".join(
                name
                for (name,) in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'warehouse' "
                    "and schema_name = ? and table_name = ? and column_name <> '_loaded_at'",
                    table.split("."),
                ).fetchall()
            )
            for one, other in (("", "rebuilt."), ("rebuilt.", "")):
                (extra,) = con.execute(
                    f"select count(*) from (select {columns} from {one}{table} "
                    f"except all select {columns} from {other}{table})"
                ).fetchone()
                assert extra == 0, f"{table}: {extra} row(s) of {one or 'the nightly '}build only"
        # the batches changed something: deals edited, lost and new; a deal deleted
        nightly_deals = con.execute(
            "select count(*), count(*) filter (where deal_id like 'DN%') "
            "from staging.stg_crm__deals where modified_at = ?",
            [MODIFIED],
        ).fetchone()
        assert nightly_deals == (20, 5)
        assert con.execute(
            "select count(distinct deal_id) from marts.fct_credits where deal_id like 'DN%'"
        ).fetchone() == (5,)
        assert con.execute(
            "select count(*) from raw.crm__deals r where _file like '%nightly%' and is_deleted = "
            "'true' and deal_id in (select deal_id from marts.fct_credits)"
        ).fetchone() == (0,)
        # invoice and payment batches too: a new payment and credit memo credit, a deleted
        # payment and the payments of a voided invoice no longer do
        events = dict(
            con.execute(
                "select event_id, count(*) from intermediate.int_component_credits "
                "where event_id like 'PN-%' or event_id like 'CM-%' group by 1"
            ).fetchall()
        )
        assert len(events) == 1 and next(iter(events)).startswith("PN-")  # no billings plan
        gone = con.execute(
            "select count(*) from intermediate.int_component_credits where event_id in ("
            "select payment_id from raw.erp__payments where _file like '%nightly%' "
            "and is_deleted = 'true' union all "
            "select p.payment_id from staging.stg_erp__payments p "
            "join raw.erp__invoices i on p.invoice_id = i.invoice_id "
            "where i._file like '%nightly%' and i.status = 'void')"
        ).fetchone()
        assert gone == (0,)
        (batches,) = con.execute(
            "select count(*) from raw.ingest_batches where _file like 'erp/%nightly%'"
        ).fetchone()
        assert batches == 2


@pytest.mark.slow
def test_new_hr_batches_or_an_edited_model_mean_a_full_refresh(
    nightly: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    ws, _ = nightly
    scratch = tmp_path / "warehouse.duckdb"
    shutil.copy(ws.warehouse_path, scratch)
    with duckdb_file(str(scratch)) as con:
        assert plan_build(con, DBT_PROJECT_DIR).describe() == (
            "incremental: 0 new batch(es) since the last build"
        )
        forced = plan_build(con, DBT_PROJECT_DIR, force_full_refresh=True)
        assert forced.full_refresh and forced.reason == "asked for (openspm run --full-refresh)"
        project = tmp_path / "dbt_project"
        shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
        model = project / "models" / "marts" / "fct_payouts.sql"
        model.write_text(model.read_text() + "\n-- edited\n")
        assert plan_build(con, project).reason == (
            "the dbt project or the compensation configuration changed"
        )
        con.execute(
            "insert into raw.ingest_batches select entity, 'hris/employees/late.csv', "
            "_file_hash, file_size, file_format, row_count, quarantined_rows, status, message, "
            "_loaded_at from raw.ingest_batches where entity = 'hris/employees' limit 1"
        )
        plan = plan_build(con, DBT_PROJECT_DIR)
        assert plan.full_refresh and plan.reason == "new batches of hris__employees"
        con.execute("update comp.quotas set quota = quota + 1 where rowid = 0")
        con.execute("delete from raw.ingest_batches where _file = 'hris/employees/late.csv'")
        assert plan_build(con, DBT_PROJECT_DIR).reason == (
            "the dbt project or the compensation configuration changed"
        )
