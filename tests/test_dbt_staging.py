"""dbt staging models on hand-made raw tables: typed casts and the latest version of each key.

The raw tables are created here exactly as docs/raw-layer.md describes them (every registry
column VARCHAR plus the metadata columns), so these tests do not depend on ingestion. Each
warehouse is built by one `dbt build` (unit tests, models and data tests); the passing and the
failing warehouse build in parallel, each with its own target and log folders.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from raw_fixtures import LOADED_AT, create_raw_tables, load_batch

from openspm.entities import ENTITIES, Entity, entity
from openspm.incremental import incremental_entities
from openspm.warehouse import duckdb_file

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT = REPO / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")

# ---------------------------------------------------------------------------------------------
# Raw tables as ingestion writes them


def deal(deal_id: str, modified_at: str, **values: str) -> dict[str, str]:
    row = {
        "deal_id": deal_id,
        "account_id": "A1",
        "owner_id": "U1",
        "deal_type": "new_business",
        "stage": "closed_won",
        "is_won": "true",
        "close_date": "2026-01-15",
        "amount": "100.00",
        "currency": "USD",
        "modified_at": modified_at,
    }
    return row | values


def load_good_batches(con: duckdb.DuckDBPyConnection) -> None:
    """Several batches per entity: edits, ties, deletes, re-creations and a quarantined row."""
    load_batch(
        con,
        "crm/deals",
        file_name="deals_2026_01.csv",
        rows=[
            deal("D1", "2026-01-15T10:00:00Z", amount="1000.50", currency="usd"),
            deal("D2", "2026-01-15T10:00:00Z", amount="200"),
            deal("D3", "2026-01-20T00:00:00+02:00", amount="300"),
            deal("D4", "2026-01-10T00:00:00Z"),
            deal("D5", "2026-01-10T00:00:00Z", is_deleted=""),
            deal("D6", "2026-01-10T00:00:00Z", is_deleted="TRUE"),
        ],
    )
    load_batch(
        con,
        "crm/deals",
        file_name="deals_2026_02.csv",
        rows=[
            deal("D1", "2026-02-01T09:00:00Z", amount="1500"),  # edit: later version wins
            deal("D2", "2026-01-15T10:00:00Z", amount="250"),  # tie: the later file wins
            deal("D3", "2026-01-19T21:00:00Z", amount="333"),  # older than 22:00Z: loses
            deal("D4", "2026-02-01T00:00:00Z", is_deleted="1"),  # deleted
            deal("D5", "2026-02-01T00:00:00Z", is_deleted="true"),  # deleted ...
            deal("D8", "2026-02-01T00:00:00Z", amount="abc"),  # quarantined: never cast
            deal("D2", "2026-01-15T10:00:00Z", amount="275"),  # tie in one file: later row
        ],
        quarantined=frozenset({6}),
    )
    load_batch(
        con,
        "crm/deals",
        file_name="deals_2026_03.csv",
        rows=[
            deal("D5", "2026-03-01T00:00:00Z", is_deleted="false"),  # ... and re-created
            deal("D1", "2026-01-31T00:00:00Z", amount="9"),  # older version in a later file
            deal(
                "D9",
                "2026-03-01 12:00",
                deal_type=" Renewal ",
                is_won=" FALSE ",
                close_date="",
                amount="",
                currency="eur",
                contract_start_date="2026-03-01",
                contract_term_months="24",
                cancelled_date="",
            ),
        ],
    )
    load_batch(
        con,
        "crm/deal_splits",
        file_name="splits_1.csv",
        rows=[
            {"split_id": "S1", "deal_id": "D1", "owner_id": "U1", "split_type": "revenue",
             "split_percent": "60", "modified_at": "2026-01-15T10:00:00Z"},
            {"split_id": "S2", "deal_id": "D1", "owner_id": "U2", "split_type": "Revenue",
             "split_percent": "40", "modified_at": "2026-01-15T10:00:00Z"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "crm/deal_splits",
        file_name="splits_2.csv",
        rows=[
            {"split_id": "S2", "deal_id": "D1", "owner_id": "U2", "split_type": "revenue",
             "split_percent": "40", "modified_at": "2026-02-01T00:00:00Z", "is_deleted": "TRUE"},
            {"split_id": "S3", "deal_id": "D1", "owner_id": "U3", "split_type": "OVERLAY",
             "split_percent": "12.5", "modified_at": "2026-02-01T00:00:00Z"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "crm/accounts",
        file_name="accounts_1.csv",
        rows=[
            {"account_id": "A1", "name": "Acme", "country": "US", "industry": "Tools",
             "modified_at": "2026-01-01T00:00:00Z"},
            {"account_id": "A2", "name": "Globex", "country": "DE", "industry": "",
             "segment": "", "modified_at": "2026-01-01T00:00:00Z"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "crm/accounts",
        file_name="accounts_2.parquet",
        rows=[{"account_id": "A1", "name": "Acme Inc.", "country": "US", "industry": "Tools",
          "segment": "Enterprise", "modified_at": "2026-02-01T00:00:00+00"}],
    )  # fmt: skip
    load_batch(
        con,
        "crm/users",
        file_name="users_1.csv",
        rows=[
            {"user_id": "U1", "employee_id": "E1", "email": "ann@example.com",
             "modified_at": "2026-01-01T00:00:00Z"},
            {"user_id": "U2", "employee_id": "E2", "email": "bob@example.com",
             "modified_at": "2026-01-01T00:00:00Z"},
            {"user_id": "U3", "employee_id": "E3", "email": "cy@example.com",
             "modified_at": "2026-01-01T00:00:00Z", "is_deleted": ""},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "crm/users",
        file_name="users_2.csv",
        rows=[{"user_id": "U2", "employee_id": "E2", "email": "bob@example.com",
          "modified_at": "2026-02-01T00:00:00Z", "is_deleted": " True "}],
    )  # fmt: skip
    load_batch(
        con,
        "erp/invoices",
        file_name="invoices_1.csv",
        rows=[
            {"invoice_id": "I1", "deal_id": "D1", "invoice_date": "2026-01-31",
             "amount": "1500.00", "currency": "usd", "status": "open",
             "modified_at": "2026-01-31T00:00:00Z"},
            {"invoice_id": "I1", "deal_id": "D1", "invoice_date": "2026-01-31",
             "amount": "1500.00", "currency": "usd", "status": " PAID ",
             "modified_at": "2026-02-10T00:00:00Z"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "erp/payments",
        file_name="payments_1.csv",
        rows=[
            {"payment_id": "P1", "invoice_id": "I1", "payment_date": "2026-02-10",
             "amount": "1500", "currency": "USD", "modified_at": "2026-02-10T00:00:00Z"},
            {"payment_id": "P2", "invoice_id": "I1", "payment_date": "2026-02-11",
             "amount": "-0.000001", "currency": "Usd", "modified_at": "2026-02-11T00:00:00Z"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "erp/fx_rates",
        file_name="fx_2026_01.csv",
        rows=[
            {"rate_date": "2026-01-31", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.1"},
            {"rate_date": "2026-01-31", "from_currency": "GBP", "to_currency": "USD",
             "rate": "1.271234567891"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "erp/fx_rates",
        file_name="fx_2026_02.csv",
        rows=[
            {"rate_date": "2026-01-31", "from_currency": "eur", "to_currency": "usd",
             "rate": "1.15"},
            {"rate_date": "2026-01-31", "from_currency": "EUR", "to_currency": "USD",
             "rate": "1.2"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "hris/employees",
        file_name="employees_1.csv",
        rows=[
            {"employee_id": "E1", "first_name": "Ann", "last_name": "Lee",
             "email": "ann@example.com", "hire_date": "2024-05-01", "termination_date": "",
             "modified_at": "2026-01-01T00:00:00Z"},
            {"employee_id": "E2", "first_name": "Bob", "last_name": "Ray",
             "email": "bob@example.com", "hire_date": "2025-01-01",
             "modified_at": "2026-01-01T00:00:00Z"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "hris/employees",
        file_name="employees_2.csv",
        rows=[{"employee_id": "E2", "first_name": "Bob", "last_name": "Ray",
          "email": "bob@example.com", "hire_date": "2025-01-01",
          "termination_date": "2026-02-28", "modified_at": "2026-02-28T18:00:00-05:00"}],
    )  # fmt: skip
    load_batch(
        con,
        "hris/job_history",
        file_name="jobs_1.csv",
        rows=[
            {"employee_id": "E1", "effective_date": "2024-05-01", "job_title": "AE",
             "status": "active", "modified_at": "2026-01-01T00:00:00Z"},
            {"employee_id": "E2", "effective_date": "2025-01-01", "job_title": "SDR",
             "manager_id": "E1", "status": "active", "modified_at": "2026-01-01T00:00:00Z"},
        ],
    )  # fmt: skip
    load_batch(
        con,
        "hris/job_history",
        file_name="jobs_2.csv",
        rows=[
            {"employee_id": "E1", "effective_date": "2024-05-01", "job_title": "Senior AE",
             "department": "Sales", "country": "US", "status": "Active",
             "modified_at": "2026-02-01T00:00:00Z"},
            {"employee_id": "E1", "effective_date": "2026-03-01", "job_title": "Senior AE",
             "status": " Leave ", "modified_at": "2026-02-01T00:00:00Z"},
        ],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# dbt runs


@dataclass
class Build:
    warehouse: Path
    returncode: int
    output: str
    run_results: dict[str, Any]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb_file(str(self.warehouse), read_only=True) as con:
            return con.sql(sql).fetchall()


def dbt_command(folder: Path, command: str, *select: str) -> list[str]:
    """``dbt <command>`` writing target and logs into ``folder``, not the shared target/."""
    args = [
        DBT, command, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
    ]  # fmt: skip
    # cautious: a test that also reads a model outside the selection (e.g. a reconciliation
    # of staging against intermediate) is not run
    selection = ["--select", *select, "--indirect-selection", "cautious"]
    return [*args, *selection] if select else args


def start_build(folder: Path, *select: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "OPENSPM_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.Popen(
        dbt_command(folder, "build", *select),
        env=env,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(folder: Path, process: subprocess.Popen[str]) -> Build:
    output, _ = process.communicate(timeout=300)
    results_file = folder / "target" / "run_results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return Build(folder / "warehouse.duckdb", process.returncode, output, results)


def new_warehouse(folder: Path) -> duckdb.DuckDBPyConnection:
    folder.mkdir(parents=True)
    con = duckdb_file(str(folder / "warehouse.duckdb"))
    create_raw_tables(con)
    return con


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build]:
    """(good, bad): the good fixture built in full; a bad job_history status built alone."""
    root = tmp_path_factory.mktemp("dbt_staging")
    good, bad = root / "good", root / "bad"
    with new_warehouse(good) as con:
        load_good_batches(con)
    with new_warehouse(bad) as con:
        load_batch(
            con,
            "hris/job_history",
            file_name="jobs_1.csv",
            rows=[{"employee_id": "E1", "effective_date": "2024-05-01", "job_title": "AE",
              "status": "Retired", "modified_at": "2026-01-01T00:00:00Z"}],
        )  # fmt: skip
    runs = [
        (good, start_build(good, "path:models/staging")),
        (bad, start_build(bad, "stg_hris__job_history")),
    ]
    good_build, bad_build = (finish(folder, process) for folder, process in runs)
    return good_build, bad_build


@pytest.fixture(scope="module")
def good(builds: tuple[Build, Build]) -> Build:
    build = builds[0]
    assert build.returncode == 0, build.output
    return build


# ---------------------------------------------------------------------------------------------
# Tests


def test_sources_declare_exactly_the_registry_columns() -> None:
    """Every source is declared under models/staging, one file per source system."""
    declared: dict[str, list[str]] = {}
    for path in (DBT_PROJECT / "models").rglob("*.yml"):
        for source in yaml.safe_load(path.read_text()).get("sources", []):
            assert path.relative_to(DBT_PROJECT / "models").parts[0] == "staging", path
            if source["name"] != "raw":
                continue
            assert source["schema"] == "raw"
            for table in source["tables"]:
                system = table["name"].split("__")[0] if "__" in table["name"] else None
                if system is not None:  # a landing table sits beside its system's models
                    assert path.name == f"_{system}__sources.yml", (path, table["name"])
                declared[table["name"]] = [c["name"] for c in table.get("columns", [])]
    for ent in ENTITIES:
        assert declared.get(ent.table) == list(ent.column_names), ent.table
    assert set(declared) - {e.table for e in ENTITIES} <= {"ingest_batches", "ingest_quarantine"}


def test_parse_needs_no_warehouse_and_staging_reads_only_its_source(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENSPM_WAREHOUSE"}
    done = subprocess.run(
        dbt_command(tmp_path, "parse"), env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "target"]
    assert not list(tmp_path.rglob("*.duckdb"))
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    for ent in ENTITIES:
        model = manifest["nodes"][f"model.openspm.stg_{ent.table}"]
        assert model["depends_on"]["nodes"] == [f"source.openspm.raw.{ent.table}"]
        incremental = ent.folder in incremental_entities()  # new batches: only their keys
        materialized = "incremental" if incremental else "table"
        assert (model["schema"], model["config"]["materialized"]) == ("staging", materialized)


def test_build_runs_unit_tests_models_and_data_tests(good: Build) -> None:
    kinds = {r["unique_id"].split(".")[0] for r in good.run_results["results"]}
    assert kinds >= {"model", "test", "unit_test"}
    assert all(r["status"] in ("success", "pass") for r in good.run_results["results"])
    models = {r["unique_id"].split(".")[-1] for r in good.run_results["results"]}
    assert {f"stg_{e.table}" for e in ENTITIES} <= models


def staged(build: Build, ent: Entity, columns: str) -> list[tuple[Any, ...]]:
    key = ", ".join(ent.key)
    return build.query(f"select {columns} from staging.stg_{ent.table} order by {key}")


def test_deals_keep_the_latest_version_of_each_key(good: Build) -> None:
    rows = staged(good, entity("crm/deals"), "deal_id, amount, source_file, source_row")
    assert rows == [
        ("D1", Decimal("1500"), "crm/deals/deals_2026_02.csv", 1),
        ("D2", Decimal("275"), "crm/deals/deals_2026_02.csv", 7),
        ("D3", Decimal("300"), "crm/deals/deals_2026_01.csv", 3),
        ("D5", Decimal("100"), "crm/deals/deals_2026_03.csv", 1),
        ("D9", None, "crm/deals/deals_2026_03.csv", 3),
    ]


def test_deal_values_are_typed(good: Build) -> None:
    (d3,) = good.query("select * from staging.stg_crm__deals where deal_id = 'D3'")
    (d9,) = good.query("select * from staging.stg_crm__deals where deal_id = 'D9'")
    columns = [c for (c,) in good.query(
        "select column_name from information_schema.columns where table_schema = 'staging' "
        "and table_name = 'stg_crm__deals' order by ordinal_position"
    )]  # fmt: skip
    d3, d9 = dict(zip(columns, d3, strict=True)), dict(zip(columns, d9, strict=True))
    assert d3["modified_at"] == dt.datetime(2026, 1, 19, 22, 0)  # +02:00 -> UTC
    assert (d3["is_won"], d3["close_date"], d3["is_deleted"]) == (True, dt.date(2026, 1, 15), False)
    assert d9["modified_at"] == dt.datetime(2026, 3, 1, 12, 0)  # no offset = UTC
    assert (d9["deal_type"], d9["is_won"], d9["currency"]) == ("renewal", False, "EUR")
    assert (d9["close_date"], d9["amount"], d9["cancelled_date"]) == (None, None, None)
    assert (d9["contract_start_date"], d9["contract_term_months"]) == (dt.date(2026, 3, 1), 24)
    assert d9["_loaded_at"] == LOADED_AT


def test_other_entities_keep_the_latest_version(good: Build) -> None:
    assert staged(good, entity("crm/deal_splits"), "split_id, split_type, split_percent") == [
        ("S1", "revenue", Decimal("60")),
        ("S3", "overlay", Decimal("12.5")),
    ]
    assert staged(good, entity("crm/accounts"), "account_id, name, industry, segment") == [
        ("A1", "Acme Inc.", "Tools", "Enterprise"),
        ("A2", "Globex", None, None),
    ]
    assert staged(good, entity("crm/users"), "user_id, employee_id") == [("U1", "E1"), ("U3", "E3")]
    assert staged(good, entity("erp/invoices"), "invoice_id, status, currency") == [
        ("I1", "paid", "USD")
    ]
    assert staged(good, entity("erp/payments"), "payment_id, amount, currency") == [
        ("P1", Decimal("1500"), "USD"),
        ("P2", Decimal("-0.000001"), "USD"),
    ]
    assert staged(good, entity("erp/fx_rates"), "from_currency, rate, source_row") == [
        ("EUR", Decimal("1.2"), 2),
        ("GBP", Decimal("1.271234567891"), 2),
    ]
    assert staged(good, entity("hris/employees"), "employee_id, termination_date, modified_at") == [
        ("E1", None, dt.datetime(2026, 1, 1)),
        ("E2", dt.date(2026, 2, 28), dt.datetime(2026, 2, 28, 23, 0)),
    ]
    assert staged(
        good, entity("hris/job_history"), "employee_id, effective_date, job_title, status"
    ) == [
        ("E1", dt.date(2024, 5, 1), "Senior AE", "active"),
        ("E1", dt.date(2026, 3, 1), "Senior AE", "leave"),
        ("E2", dt.date(2025, 1, 1), "SDR", "active"),
    ]


def duckdb_type(ent: Entity, column: str) -> str:
    col = ent.column(column)
    return {
        "boolean": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "decimal": f"DECIMAL({col.precision},{col.scale})",
        "integer": "INTEGER",
    }.get(col.type.value, "VARCHAR")


def test_staging_column_types_follow_the_registry(good: Build) -> None:
    lineage = {"source_file": "VARCHAR", "source_row": "BIGINT", "_loaded_at": "TIMESTAMP"}
    for ent in ENTITIES:
        got = good.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = 'staging' and table_name = 'stg_{ent.table}' "
            "order by ordinal_position"
        )
        want = [(c, duckdb_type(ent, c)) for c in ent.column_names] + list(lineage.items())
        assert got == want, ent.table


def test_a_failing_data_test_fails_the_build(builds: tuple[Build, Build]) -> None:
    bad = builds[1]
    assert bad.returncode != 0
    failed = [r["unique_id"] for r in bad.run_results["results"] if r["status"] == "fail"]
    assert len(failed) == 1 and failed[0].startswith(
        "test.openspm.accepted_values_stg_hris__job_history_status"
    ), bad.output
    assert bad.query("select status from staging.stg_hris__job_history") == [("retired",)]
