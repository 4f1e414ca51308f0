"""The connectors in Dagster: one source asset per source object, grouped per system and
upstream of raw ingestion; pull_job pulls and loads (a real in-process run against a fake);
the nightly pull schedule is created stopped; drafts and closes never pull."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from connector_helpers import all_rows, workspace_with

from integrations.fakes import Fault, SalesforceFake
from openspm.entities import ENTITIES
from openspm.warehouse import duckdb_file
from pipelines.definitions import defs
from pipelines.runner import PipelineError, run_job

ENV = {"SF_CLIENT_ID": "demo-client-id", "SF_CLIENT_SECRET": "demo-client-secret"}


def test_one_source_asset_per_entity_grouped_per_system_upstream_of_raw() -> None:
    graph = defs.resolve_asset_graph()
    for ent in ENTITIES:
        source = dg.AssetKey(["source", ent.table])
        node = graph.get(source)
        assert node.group_name == f"source_{ent.system}"
        assert source in graph.get(dg.AssetKey(["raw", ent.table])).parent_keys
    users = graph.get(dg.AssetKey(["source", "crm__users"]))
    assert dg.AssetKey(["source", "hris__employees"]) in users.parent_keys  # people first
    resources = defs.resources or {}
    assert {"crm_source", "erp_source", "hris_source"} <= set(resources)


def test_pulls_run_in_pull_job_and_the_nightly_pull_schedule_only() -> None:
    def sources(job: str) -> set[str]:
        keys = defs.resolve_job_def(job).asset_layer.selected_asset_keys
        return {k.to_user_string() for k in keys if k.path[0] == "source"}

    assert len(sources("pull_job")) == len(ENTITIES)
    assert sources("pipeline_job") == sources("close_job") == sources("ingest_job") == set()
    schedule = defs.resolve_schedule_def("nightly_pull_schedule")
    assert schedule.job_name == "pull_job"
    assert schedule.cron_schedule == "0 1 * * *"  # before the 02:00 refresh
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


@pytest.fixture
def fake() -> SalesforceFake:
    server = SalesforceFake()
    server.start()
    server.put("Opportunity", Id="006A", AccountId="001A", OwnerId="005A",
               Amount=Decimal("10.00"), CurrencyIsoCode="USD", CloseDate=date(2026, 3, 1),
               StageName="Closed Won", IsClosed=True, IsWon=True, Type="New Customer",
               SystemModstamp=datetime(2026, 3, 2, tzinfo=UTC))  # fmt: skip
    yield server
    server.stop()


def test_pull_job_materializes_pulls_then_loads(
    tmp_path: Path, fake: SalesforceFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    source = {
        "kind": "salesforce",
        "base_url": fake.url,
        "auth": {
            "method": "client_credentials",
            "client_id": "${SF_CLIENT_ID}",
            "client_secret": "${SF_CLIENT_SECRET}",
        },
    }
    ws = workspace_with(tmp_path / "ws", crm=source)
    summary = run_job("pull_job", ws)
    assert summary.steps == 2 * len(ENTITIES)
    assert len(all_rows(ws, "crm/deals")) == 1
    assert all_rows(ws, "crm/deals")[0]["deal_type"] == "new_business"
    with duckdb_file(str(ws.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.crm__deals").fetchone() == (1,)
        # only Opportunity had records: the other objects wrote no batch and keep no watermark
        objects = con.execute("select object from connectors.watermarks").fetchall()
        assert objects == [("Opportunity",)]

    refused = [{"message": "No such column", "errorCode": "INVALID_FIELD"}]
    fake.inject(Fault("status", path="/queryAll", times=1000, status=400, body=refused))
    with pytest.raises(PipelineError) as caught:
        run_job("pull_job", ws)
    assert "crm (salesforce)" in str(caught.value) and "INVALID_FIELD" in str(caught.value)
