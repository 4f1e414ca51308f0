"""The same dbt project and close on every engine: DuckDB, PostgreSQL and Spark (issue 18).

One small generated workspace closes three months through the command, on DuckDB (the
reference), on a real PostgreSQL server and on a local Spark Connect server (session fixtures
of conftest.py); the ``finance.*`` tables must be identical row for row and to the cent
(``run_id`` and ``published_at`` aside). On each server the dbt unit tests run too, and on
PostgreSQL the benchmark floor (bench/floor.sql, DuckDB straight from the landing files)
equals the marts. Markers: ``postgres`` and ``spark`` (``pytest -m postgres``). The spark
tests run last: the Spark close starts in the background when the session does (conftest.py),
so its minutes overlap the rest of the suite.

Commission accounting is on (the default) on every engine: the accounting tables
(``finance.commission_costs`` ... ``journal_entries``) and the month's accounting files
(``journal-entries.csv``, ``deferred-commissions.csv``, the run id aside) are compared too. The
floor comparison turns it off, which checks that the setting still leaves it out on a server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PG_PASSWORD_ENV, cli
from engine_workspace import generate_engine_workspace, server_copy
from servers import PostgresServer

from openspm.accounting.policy import ACCOUNTING_TABLES
from openspm.dbt_project import DBT_PROJECT_DIR, WAREHOUSE_ENV, dbt_executable
from openspm.forecast.run import TABLES as FORECAST_TABLES
from openspm.modelling.engine import EXCLUDED, SELECTION, engine_inputs, selected_models
from openspm.modelling.results import TABLES as MODELLING_TABLES
from openspm.publish import PUBLISHED_TABLES, SPARK_STORE_SCHEMA
from openspm.warehouse import WarehouseError, connect, duckdb_file
from openspm.warehouse.config import PostgresSettings
from openspm.warehouse.sql import PostgresWarehouse
from openspm.warehouse.transfer import copy_relation, copy_relations
from openspm.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from finance_compare import Snapshot, differences, finance_snapshot
from floor import COMPARED, compare_with_warehouse, run_floor

# Spark 4.3's optimizer asserts on some unit-test fixtures (constant rows whose join condition
# folds away); the unit-test run excludes the rule (docs/scaling.md)
SPARK_UNIT_TEST_ENV = {
    "OPENSPM_SPARK_EXCLUDED_RULES": "org.apache.spark.sql.catalyst.optimizer.ReorderJoin"
}


def assert_identical(reference: Snapshot, other: Snapshot, engine: str) -> None:
    """Each table (and file) equal to DuckDB's; a difference names it and a few rows."""
    found = differences(reference, other, ("DuckDB", engine))
    if found:
        pytest.fail("; ".join(found), pytrace=False)


def accounting_on(root: Path, enabled: bool) -> None:
    """``accounting.enabled`` of the workspace's openspm.yaml."""
    settings = root / "openspm.yaml"
    text = settings.read_text(encoding="utf-8").replace("\n  enabled: false\n", "\n")
    assert "\naccounting:\n" in text
    if not enabled:
        text = text.replace("\naccounting:\n", "\naccounting:\n  enabled: false\n")
    settings.write_text(text, encoding="utf-8")


def close_through(workspace: Workspace, month: str) -> str:
    """``openspm close --through`` as a user runs it; its output (asserts success)."""
    done = cli("close", "--through", month, "--workspace", str(workspace.root), timeout=1500)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def run_unit_tests(workspace: Workspace, env: dict[str, str] | None = None) -> dict[str, int]:
    """The dbt unit tests on the workspace's warehouse (after a close built the models)."""
    import os

    saved = {key: os.environ.get(key) for key in env or {}}
    os.environ.update(env or {})
    try:
        done = cli("dbt", "--workspace", str(workspace.root), "--", "test", "--select",
                   "test_type:unit", timeout=900)  # fmt: skip
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert done.returncode == 0, (done.stdout[-4000:], done.stderr[-2000:])
    results = json.loads((workspace.state_dir / "dbt" / "run_results.json").read_text())
    statuses: dict[str, int] = {}
    for result in results["results"]:
        assert result["unique_id"].startswith("unit_test."), result["unique_id"]
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    return statuses


@pytest.fixture(scope="session")
def engine_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The generated workspace (no warehouse yet) and the three months every engine closes."""
    root = tmp_path_factory.mktemp("engines") / "source"
    return root, generate_engine_workspace(root)


@pytest.fixture(scope="session")
def duckdb_closed_workspace(
    engine_source: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Workspace:
    """The reference workspace: the three months closed on DuckDB."""
    source, months = engine_source
    root = tmp_path_factory.mktemp("engine_duckdb") / "ws"
    shutil.copytree(source, root)
    workspace = Workspace.open(root)
    close_through(workspace, months[-1])
    return workspace


@pytest.fixture(scope="session")
def duckdb_closed(duckdb_closed_workspace: Workspace) -> Snapshot:
    """The reference: the finance tables of the three months closed on DuckDB."""
    return finance_snapshot(duckdb_closed_workspace)


def postgres_warehouse(server: PostgresServer, database: str) -> str:
    """``warehouse:`` of openspm.yaml for a database of ``server`` (password by reference)."""
    return (
        "warehouse:\n  type: postgres\n  host: 127.0.0.1\n"
        f"  port: {server.port}\n  database: {database}\n"
        f"  user: {server.user}\n  password: ${{{PG_PASSWORD_ENV}}}\n  sslmode: disable"
    )


@pytest.fixture(scope="session")
def postgres_closed(
    engine_source: tuple[Path, list[str]],
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Workspace:
    source, months = engine_source
    warehouse = postgres_warehouse(postgres_server, postgres_server.database)
    workspace = server_copy(source, tmp_path_factory.mktemp("engine_pg") / "ws", warehouse)
    close_through(workspace, months[-1])
    return workspace


def test_the_reference_close_covers_what_the_engines_must_agree_on(
    duckdb_closed: Snapshot, engine_source: tuple[Path, list[str]]
) -> None:
    """The DuckDB reference is not trivially empty: every month, line kind and credit type."""
    _, months = engine_source
    assert [row[0] for row in duckdb_closed["closes"]] == months
    names = [c.split()[0] for c in PUBLISHED_TABLES["payout_lines"]]
    kinds = {row[names.index("line_type")] for row in duckdb_closed["payout_lines"]}
    assert {"commission", "spiff"} <= kinds
    credits = [c.split()[0] for c in PUBLISHED_TABLES["credits"]]
    types = {row[credits.index("credit_type")] for row in duckdb_closed["credits"]}
    assert {"direct", "split", "overlay", "rollup"} <= types
    events = {row[credits.index("event_type")] for row in duckdb_closed["credits"]}
    assert events == {"deal", "payment"}
    assert any(row[credits.index("is_reversal")] == "True" for row in duckdb_closed["credits"])
    assert duckdb_closed["draw_balances"] and duckdb_closed["adjustments"]
    assert duckdb_closed["leaderboard"]
    # the accounting: layers created, written down and impaired, every kind of entry
    assert all(duckdb_closed[table] for table in ACCOUNTING_TABLES)
    layers = [c.split()[0] for c in PUBLISHED_TABLES["deferred_commission_layers"]]
    events = {row[layers.index("event")] for row in duckdb_closed["deferred_commission_layers"]}
    assert events == {"created", "written_down", "impaired"}
    journal = [c.split()[0] for c in PUBLISHED_TABLES["journal_entries"]]
    entries = {row[journal.index("entry_type")] for row in duckdb_closed["journal_entries"]}
    assert {"capitalization", "expense", "write_down", "amortization_reversal", "amortization",
            "impairment", "payout"} <= entries  # fmt: skip
    assert len([key for key in duckdb_closed if "/" in key]) == 2 * len(months)


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_close_gives_the_duckdb_finance_tables(
    postgres_closed: Workspace, duckdb_closed: Snapshot
) -> None:
    """Every finance table, the accounting's included, and the accounting files."""
    assert_identical(duckdb_closed, finance_snapshot(postgres_closed), "PostgreSQL")


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_refuses_a_second_close_and_rewrites_nothing(
    postgres_closed: Workspace, engine_source: tuple[Path, list[str]]
) -> None:
    _, months = engine_source
    before = finance_snapshot(postgres_closed)
    with connect(postgres_closed, read_only=True) as warehouse:
        stamps = warehouse.execute("select period, run_id from finance.closes").fetchall()
    again = cli("close", "--period", months[0], "--workspace", str(postgres_closed.root))
    assert again.returncode == 1
    assert "already closed" in again.stderr + again.stdout
    assert finance_snapshot(postgres_closed) == before
    with connect(postgres_closed, read_only=True) as warehouse:
        assert warehouse.execute("select period, run_id from finance.closes").fetchall() == stamps


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_dbt_unit_tests_pass(postgres_closed: Workspace) -> None:
    statuses = run_unit_tests(postgres_closed)
    assert set(statuses) == {"pass"} and statuses["pass"] >= 20, statuses


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_marts_equal_the_floor(
    engine_source: tuple[Path, list[str]], postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """bench/floor.sql (DuckDB from the landing files) computes the PostgreSQL marts exactly:
    drafts of every month in a database of their own (nothing published: the marts hold the
    whole ledger, as the floor does). The accounting is turned off here (the floor has none):
    its models are left out of the build on a server as on DuckDB."""
    source, months = engine_source
    database = postgres_server.create_database("openspm_floor")
    workspace = server_copy(source, tmp_path / "ws", postgres_warehouse(postgres_server, database))
    accounting_on(workspace.root, False)
    done = cli("run", "--through", months[-1], "--workspace", str(workspace.root), timeout=900)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    with connect(workspace, read_only=True) as warehouse:
        marts = warehouse.tables("marts")
    assert "fct_payouts" in marts and "fct_journal_entries" not in marts, marts
    floor_db = tmp_path / "floor.duckdb"
    run = run_floor(workspace, floor_db, through=months[-1])
    counts = compare_with_warehouse(floor_db, workspace)
    assert counts == run.rows
    assert all(counts[name] > 0 for name in COMPARED)


# ---------------------------------------------------------------- the what-ifs on a server

WHAT_IF_DEAL = ("--employee", "E0006", "--amount", "120000", "--date", "2026-01-20",
                "--deal-type", "new_business")  # fmt: skip  (GBP; roll-ups in EUR and USD)
TIER_RATE = re.compile(r"(\{from: [0-9.]+, rate: )([0-9.]+)\}")
# the what-ifs' own tables (their runs' tables aside: ids, times and paths)
COMPARED_RESULTS = {"modelling": MODELLING_TABLES, "forecast": FORECAST_TABLES}


def candidate_plans(workspace: Workspace, folder: Path) -> Path:
    """Candidate plans for ``openspm model``: the workspace's plans, the account executives'
    tier rates half as high again."""
    folder.mkdir(parents=True, exist_ok=True)
    for plan in sorted((workspace.comp_dir / "plans").glob("*.yaml")):
        text = plan.read_text(encoding="utf-8")
        if plan.name.startswith("AE-"):
            text = TIER_RATE.sub(lambda m: f"{m[1]}{Decimal(m[2]) * Decimal('1.5')}}}", text)
        (folder / plan.name).write_text(text, encoding="utf-8")
    assert TIER_RATE.search((folder / "AE-2025.yaml").read_text(encoding="utf-8"))
    return folder


def estimate_and_model(workspace: Workspace, months: list[str], plans: Path) -> dict[str, object]:
    """``openspm estimate`` and ``model`` as a user runs them (after the forecast computed the
    drafts of the open months); the estimate."""
    root = str(workspace.root)
    found: dict[str, object] = {}
    estimate = cli("estimate", "--workspace", root, *WHAT_IF_DEAL, "--json")
    assert estimate.returncode == 0, (estimate.stdout[-2000:], estimate.stderr[-2000:])
    found["estimate"] = json.loads(estimate.stdout)
    model = cli("model", "--workspace", root, "--plans", str(plans), "--from", months[0],
                "--to", months[-1], "--quiet", timeout=900)  # fmt: skip
    assert model.returncode == 0, (model.stdout[-2000:], model.stderr[-2000:])
    assert "finance was not touched" in model.stdout
    return found


def forecast(workspace: Workspace) -> None:
    """``openspm forecast`` as a user runs it (the drafts of the open months, then the
    forecast)."""
    done = cli("forecast", "--workspace", str(workspace.root), "--simulations", "200",
               "--quiet", timeout=900)  # fmt: skip
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])


def results(workspace: Workspace, found: dict[str, object]) -> dict[str, object]:
    """``found`` and the what-ifs' tables and the modelling report."""
    root = str(workspace.root)
    with connect(workspace, read_only=True) as warehouse:
        for schema, tables in COMPARED_RESULTS.items():
            for table in tables:
                names = [c for c in warehouse.columns(f"{schema}.{table}") if c != "run_id"]
                rows = warehouse.fetchall(f"select {', '.join(names)} from {schema}.{table}")
                found[f"{schema}.{table}"] = sorted(tuple(str(v) for v in row) for row in rows)
        (run,) = warehouse.fetchall("select report from modelling.runs")
    report = Path(run[0]).with_name("report.md").read_text(encoding="utf-8")
    found["report"] = report.replace(Path(run[0]).parent.name, "<run>").replace(root, "<ws>")
    return found


def server_state(workspace: Workspace) -> dict[str, object]:
    """What a what-if must leave as it was: finance and comp (every row), the marts' row
    counts (but for the forecast, which computes the drafts first, as on DuckDB)."""
    state: dict[str, object] = {"finance": finance_snapshot(workspace)}
    with connect(workspace, read_only=True) as warehouse:
        for schema in ("comp", "marts"):
            for table in sorted(warehouse.tables(schema)):
                rows = warehouse.fetchall(f"select * from {schema}.{table}")
                state[f"{schema}.{table}"] = (
                    sorted(tuple(str(v) for v in row) for row in rows)
                    if schema == "comp"
                    else len(rows)
                )
    return state


def estimate_json(workspace: Workspace) -> object:
    """``openspm estimate --json`` of the what-if deal, as a user runs it."""
    done = cli("estimate", "--workspace", str(workspace.root), *WHAT_IF_DEAL, "--json",
               timeout=900)  # fmt: skip
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def duckdb_estimate(duckdb_closed_workspace: Workspace) -> object:
    """The what-if deal's estimate on the DuckDB reference as closed, before any forecast
    recomputes its drafts (the Spark test compares with it)."""
    return estimate_json(duckdb_closed_workspace)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.usefixtures("duckdb_estimate")  # taken before this test's forecast
def test_the_what_ifs_on_postgres_give_duckdbs_figures_and_write_only_their_schemas(
    postgres_closed: Workspace,
    duckdb_closed_workspace: Workspace,
    engine_source: tuple[Path, list[str]],
    tmp_path: Path,
) -> None:
    """estimate, model and forecast on the PostgreSQL workspace run on a scratch DuckDB file
    built from the server (docs/modelling.md, "On a server warehouse"): the same figures as on
    the DuckDB copy of the workspace; finance and comp unchanged on the server."""
    _, months = engine_source
    plans = candidate_plans(duckdb_closed_workspace, tmp_path / "candidates")
    forecast(duckdb_closed_workspace)  # first: the drafts of the open months the estimate reads
    reference = results(
        duckdb_closed_workspace, estimate_and_model(duckdb_closed_workspace, months, plans)
    )
    before = server_state(postgres_closed)
    forecast(postgres_closed)
    drafted = server_state(postgres_closed)
    assert {k: v for k, v in drafted.items() if not k.startswith("marts.")} == {
        k: v for k, v in before.items() if not k.startswith("marts.")
    }
    found = results(postgres_closed, estimate_and_model(postgres_closed, months, plans))
    assert server_state(postgres_closed) == drafted
    assert reference["estimate"]["changes"], reference["estimate"]  # the deal earns something
    assert any(row for key, row in reference.items() if key.startswith("forecast."))
    for key, value in reference.items():
        assert found[key] == value, key
    assert not list(postgres_closed.state_dir.glob("*/drafts.duckdb"))  # scratch files deleted


def test_the_manifest_selects_the_models_dbt_selects(tmp_path: Path) -> None:
    """``selected_models`` (what the copy for ``openspm model`` is derived from) is what dbt's
    own selectors pick for the engine's run."""
    done = subprocess.run(
        [dbt_executable(), "ls", "--quiet", "--resource-type", "model", "--output", "name",
         "--select", *SELECTION, "--exclude", *EXCLUDED, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path)],
        env={**os.environ, WAREHOUSE_ENV: str(tmp_path / "unused.duckdb"),
             "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    listed = {line.strip() for line in done.stdout.splitlines() if line.strip()}
    assert selected_models() == listed and len(listed) > 20
    inputs = engine_inputs()
    assert {"staging.stg_crm__deals", "intermediate.int_deal_credits", "comp.plans"} <= inputs
    assert not any(r.split(".")[1] in listed for r in inputs)  # nothing it rebuilds


TYPED_ROWS = """
    select cast(12345678901234.12345678901234 as decimal(38, 14)) as amount,
        cast(-0.5 as decimal(18, 2)) as cents, date '2026-02-28' as day,
        timestamp '2026-02-28 23:59:59.123456' as stamp, cast(7 as integer) as n,
        cast(9000000000 as bigint) as big, true as flag, 'é' as text, ['a', 'b'] as names
    union all
    select null, null, null, null, null, null, null, null, null
"""


def test_a_relation_copied_between_warehouses_keeps_its_exact_types(tmp_path: Path) -> None:
    """The shared copying code (every engine's what-ifs on a server go through it): DECIMAL
    precision and scale, dates, timestamps, lists and NULLs arrive as they left."""
    with duckdb_file(tmp_path / "source.duckdb") as source:
        source.execute(f"create schema s; create table s.t as {TYPED_ROWS}")
        source.execute("create table s.empty as select * from s.t where false")
        source.execute("create view s.v as select amount, day from s.t")
        with duckdb_file(tmp_path / "target.duckdb") as target:
            copied = copy_relations(source, target, ["s.t", "s.empty", "s.v", "s.missing"])
            assert (copied.relations, copied.rows) == (3, 4)
            for relation in ("s.t", "s.empty", "s.v"):
                assert target.read_relation(relation) == source.read_relation(relation)
            kinds = target.fetchall("select column_name, data_type from "
                                    "information_schema.columns where table_name = 't' "
                                    "order by ordinal_position")  # fmt: skip
    assert [k for _, k in kinds] == [
        "DECIMAL(38,14)", "DECIMAL(18,2)", "DATE", "TIMESTAMP", "INTEGER", "BIGINT", "BOOLEAN",
        "VARCHAR", "VARCHAR[]",
    ]  # fmt: skip


@pytest.mark.postgres
def test_postgres_relations_copy_to_duckdb_exactly_and_refuse_untyped_numerics(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """PostgreSQL to DuckDB and back, as the what-ifs copy: the same rows and types; a
    ``numeric`` without precision is refused naming the column (never a float)."""
    database = postgres_server.create_database("openspm_transfer")
    url = PostgresSettings(type="postgres", host="127.0.0.1", port=postgres_server.port,
                           database=database, user=postgres_server.user,
                           password=f"${{{PG_PASSWORD_ENV}}}", sslmode="disable").url()  # fmt: skip
    with duckdb_file(tmp_path / "a.duckdb") as local, PostgresWarehouse(url, database) as server:
        local.execute(f"create schema s; create table s.t as {TYPED_ROWS}")
        copy_relation(local, "s.t", server)
        assert server.fetchall("select count(*) from s.t") == [(2,)]
        copy_relation(server, "s.t", local, "s.back")
        assert local.read_relation("s.back") == local.read_relation("s.t")
        server.execute("create table s.loose as select cast(1.5 as numeric) as ratio")
        with pytest.raises(WarehouseError, match=r"s\.loose\.ratio: .*numeric without"):
            copy_relation(server, "s.loose", local)


# ---------------------------------------------------------------- Spark


@pytest.mark.slow
@pytest.mark.spark
def test_spark_close_gives_the_duckdb_finance_tables(
    spark_closed: Workspace, duckdb_closed: Snapshot
) -> None:
    """Every finance table, the accounting's included, and the accounting files."""
    assert_identical(duckdb_closed, finance_snapshot(spark_closed), "Spark")


@pytest.mark.slow
@pytest.mark.spark
def test_spark_finance_views_show_only_months_the_pointer_lists(spark_closed: Workspace) -> None:
    """A month's partition written without its finance.closes row (a publication that died
    before its last write) is invisible to readers; its pointer row makes it whole."""
    with connect(spark_closed) as warehouse:
        published = warehouse.execute("select count(*) from finance.payouts").fetchone()[0]
        columns = ", ".join(warehouse.columns(f"{SPARK_STORE_SCHEMA}.payouts")[:-1])
        warehouse.execute(
            f"insert into {SPARK_STORE_SCHEMA}.payouts partition (period = '2099-01') "
            f"select {columns} from {SPARK_STORE_SCHEMA}.payouts"
        )
        stored = warehouse.execute(
            f"select count(*) from {SPARK_STORE_SCHEMA}.payouts where period = '2099-01'"
        ).fetchone()[0]
        assert stored == published > 0
        assert warehouse.execute("select count(*) from finance.payouts").fetchone()[0] == published
        assert not warehouse.execute(
            "select count(*) from finance.payouts where period = '2099-01'"
        ).fetchone()[0]
        warehouse.execute(f"alter table {SPARK_STORE_SCHEMA}.payouts drop partition "
                          "(period = '2099-01')")  # fmt: skip


@pytest.mark.slow
@pytest.mark.spark
def test_spark_dbt_unit_tests_pass(spark_closed: Workspace) -> None:
    statuses = run_unit_tests(spark_closed, SPARK_UNIT_TEST_ENV)
    assert set(statuses) == {"pass"} and statuses["pass"] >= 20, statuses


@pytest.mark.slow
@pytest.mark.spark
def test_spark_estimate_gives_the_duckdb_figures_and_writes_nothing(
    spark_closed: Workspace, duckdb_estimate: object
) -> None:
    """``openspm estimate`` on Spark (a scratch DuckDB file copied from the server, exact
    types through Arrow) gives the DuckDB reference's figures; finance is untouched."""
    before = finance_snapshot(spark_closed)
    assert estimate_json(spark_closed) == duckdb_estimate
    assert finance_snapshot(spark_closed) == before
