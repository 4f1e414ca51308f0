"""Salesforce through its fake on 127.0.0.1: full and incremental pulls, overlap and ties,
deletions, Bulk 2.0 result pages, token flows, and every retried fault."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from connector_helpers import all_rows, batches, rows, watermark, workspace_with
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.fakes import Fault, SalesforceFake
from integrations.pull import pull_sources
from openspm.entities import entity
from openspm.ingest import ingest_entity

T0 = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
ENV = {"SF_CLIENT_ID": "demo-client-id", "SF_CLIENT_SECRET": "demo-client-secret"}


def opportunity(fake: SalesforceFake, n: int, modified: datetime, **fields: object) -> dict:
    values = {
        "Id": f"006{n:015d}",
        "AccountId": "001000000000000001",
        "OwnerId": "005000000000000001",
        "Amount": Decimal("1250.50"),
        "CurrencyIsoCode": "EUR",
        "CloseDate": date(2026, 3, 31),
        "StageName": "Closed Won",
        "IsClosed": True,
        "IsWon": True,
        "Probability": Decimal(100),
        "ForecastCategoryName": "Closed",
        "Type": "New Customer",
        "SystemModstamp": modified,
        **fields,
    }
    return fake.put("Opportunity", **values)


@pytest.fixture
def fake() -> Iterator[SalesforceFake]:
    server = SalesforceFake(rest_batch=3)
    server.start()
    server.put("User", Id="005000000000000001", Email="ada@acme.com", EmployeeNumber="E1",
               SystemModstamp=T0)  # fmt: skip
    server.put("Account", Id="001000000000000001", Name="Acme GmbH", BillingCountry="DE",
               Industry="Software", SystemModstamp=T0)  # fmt: skip
    for n in range(5):
        opportunity(server, n, T0 + timedelta(minutes=n))
    yield server
    server.stop()


def ws_for(tmp_path: Path, fake: SalesforceFake, **extra: object):
    source = {
        "kind": "salesforce",
        "base_url": fake.url,
        "auth": {
            "method": "client_credentials",
            "client_id": "${SF_CLIENT_ID}",
            "client_secret": "${SF_CLIENT_SECRET}",
        },
        "since": "2026-01-01",
        **extra,
    }
    return workspace_with(tmp_path / "ws", crm=source)


def pull(ws, objects=("Opportunity",), environ=ENV):
    return pull_sources(ws, environ=environ, objects=objects)


def test_full_then_incremental_pull_lands_new_batches_and_advances_the_watermark(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    ws = ws_for(tmp_path, fake)
    first = pull(ws, objects=None)
    assert not first.failures, first.objects
    deals = all_rows(ws, "crm/deals")
    assert len(deals) == 5
    assert deals[0] == {
        "deal_id": "006000000000000000",
        "account_id": "001000000000000001",
        "owner_id": "005000000000000001",
        "deal_type": "new_business",
        "stage": "Closed Won",
        "is_won": "true",
        "close_date": "2026-03-31",
        "amount": "1250.5",
        "currency": "EUR",
        "is_closed": "true",
        "probability": "100.0",
        "forecast_category": "Closed",
        "modified_at": "2026-04-02T09:00:00.000+00:00",
        "is_deleted": "false",
    }
    assert all_rows(ws, "crm/users") == [
        {"user_id": "005000000000000001", "employee_id": "E1", "email": "ada@acme.com",
         "modified_at": "2026-04-02T09:00:00.000+00:00"}
    ]  # fmt: skip
    assert all_rows(ws, "crm/accounts")[0]["country"] == "DE"
    assert watermark(ws, "crm", "Opportunity") == T0 + timedelta(minutes=4)
    # REST paging: 5 records in batches of 3 follow nextRecordsUrl (a /query/ path)
    assert len(fake.calls("/query/01gRO")) >= 1

    opportunity(fake, 9, T0 + timedelta(hours=2), Amount=Decimal("99"))
    second = pull(ws)
    (pulled,) = second.objects
    assert pulled.since == T0 + timedelta(minutes=4) - timedelta(minutes=10)
    new = rows(batches(ws, "crm/deals")[-1])
    # the new record, and the overlap re-reads what was modified in the 10 minutes before
    assert {r["deal_id"] for r in new} == {f"006{n:015d}" for n in (0, 1, 2, 3, 4, 9)}
    assert watermark(ws, "crm", "Opportunity") == T0 + timedelta(hours=2)
    soql = fake.calls("/queryAll")[-1].query["q"]
    assert "SystemModstamp >= 2026-04-02T08:54:00Z" in soql


def test_a_record_committed_behind_the_watermark_and_a_tie_are_picked_up(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    ws = ws_for(tmp_path, fake, overlap_minutes=10)
    pull(ws)
    mark = watermark(ws, "crm", "Opportunity")
    assert mark == T0 + timedelta(minutes=4)
    # committed after the first pull, but stamped before its watermark (a long transaction)
    opportunity(fake, 20, mark - timedelta(minutes=7))
    opportunity(fake, 21, mark)  # a tie on the watermark itself
    opportunity(fake, 22, mark - timedelta(minutes=30))  # older than the overlap: missed
    pull(ws)
    new = {r["deal_id"] for r in rows(batches(ws, "crm/deals")[-1])}
    assert {f"006{20:015d}", f"006{21:015d}"} <= new
    assert f"006{22:015d}" not in new  # docs/connectors.md: widen overlap_minutes for this
    assert watermark(ws, "crm", "Opportunity") == mark  # never moves backwards


def test_deletions_land_as_is_deleted(tmp_path: Path, fake: SalesforceFake) -> None:
    ws = ws_for(tmp_path, fake)
    pull(ws)
    fake.delete("Opportunity", f"006{2:015d}", T0 + timedelta(hours=1))
    pull(ws)
    last = {r["deal_id"]: r for r in rows(batches(ws, "crm/deals")[-1])}
    assert last[f"006{2:015d}"]["is_deleted"] == "true"
    assert last[f"006{2:015d}"]["modified_at"] == "2026-04-02T10:00:00.000+00:00"
    # queryAll, not query: deleted rows are only there
    assert not [c for c in fake.requests if c.path.endswith("/query")]


def test_bulk_2_streams_several_csv_result_pages(tmp_path: Path, fake: SalesforceFake) -> None:
    for n in range(5, 11):
        opportunity(fake, n, T0 + timedelta(minutes=n), Type="Existing Customer - Upgrade")
    ws = ws_for(tmp_path, fake, bulk_threshold=0, page_size=4)
    report = pull(ws)
    assert not report.failures, report.objects
    (batch,) = batches(ws, "crm/deals")
    landed = rows(batch)
    assert len(landed) == 11
    assert {r["deal_type"] for r in landed} == {"new_business", "expansion"}
    assert landed[0]["modified_at"] == "2026-04-02T09:00:00.000Z"  # Bulk CSV datetimes
    pages = fake.calls("/results")
    assert [p.query.get("locator") is None for p in pages] == [True, False, False]
    assert all(p.query["maxRecords"] == "4" for p in pages)
    assert all(p.headers["accept"] == "text/csv" for p in pages)
    polls = [c for c in fake.calls("/jobs/query/") if not c.path.endswith("/results")]
    assert len(polls) == 2  # InProgress, then JobComplete
    (created,) = fake.calls("/jobs/query", method="POST")
    assert created.json()["operation"] == "queryAll"


def test_users_match_employees_by_number_then_federation_id_then_email(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    ws = ws_for(tmp_path, fake)
    employees = ws.landing_dir / "hris" / "employees"
    employees.mkdir(parents=True)
    (employees / "people.csv").write_text(
        "employee_id,first_name,last_name,email,hire_date,modified_at\n"
        "E1,Ada,Rep,ada@acme.com,2024-01-01,2025-01-01T00:00:00Z\n"
        "E2,Bo,Rep,bo@acme.com,2024-01-01,2025-01-01T00:00:00Z\n"
        "E3,Cy,Rep,cy@acme.com,2024-01-01,2025-01-01T00:00:00Z\n",
        "utf-8",
    )
    fake.put("User", Id="005B", Email="x@acme.com", EmployeeNumber="", FederationIdentifier="E2",
             SystemModstamp=T0)  # fmt: skip
    fake.put("User", Id="005C", Email="CY@acme.com", EmployeeNumber="9999", SystemModstamp=T0)
    fake.put("User", Id="005D", Email="integration@acme.com", SystemModstamp=T0)
    pull(ws, objects=("User",))
    matched = {r["user_id"]: r["employee_id"] for r in all_rows(ws, "crm/users")}
    assert matched == {
        "005000000000000001": "E1",  # EmployeeNumber
        "005B": "E2",  # FederationIdentifier
        "005C": "E3",  # email (case-insensitive), the number matching no one
        "005D": "integration@acme.com",  # no employee: kept, for the owner gate to name
    }


def test_an_unmappable_value_is_kept_and_ingestion_reports_it(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    opportunity(fake, 7, T0, Type="Existing Customer - Downgrade")
    ws = ws_for(
        tmp_path, fake, values={"crm/deals": {"deal_type": {"Partner Deal": "new_business"}}}
    )
    opportunity(fake, 8, T0, Type="Partner Deal")
    pull(ws)
    landed = {r["deal_id"]: r["deal_type"] for r in all_rows(ws, "crm/deals")}
    assert landed[f"006{7:015d}"] == "Existing Customer - Downgrade"
    assert landed[f"006{8:015d}"] == "new_business"  # values: extends the defaults
    report = ingest_entity(ws, entity("crm/deals"))
    assert report.rows_quarantined == 1 and report.problems == 1


def test_fields_override_reads_a_custom_field(tmp_path: Path, fake: SalesforceFake) -> None:
    fake.fields["Opportunity"].add("Term_Months__c")
    opportunity(fake, 0, T0, Term_Months__c=Decimal("24.0"))
    ws = ws_for(tmp_path, fake, fields={"crm/deals": {"contract_term_months": "Term_Months__c"}})
    pull(ws)
    (row,) = [r for r in all_rows(ws, "crm/deals") if r["deal_id"] == f"006{0:015d}"]
    assert row["contract_term_months"] == "24"
    assert "Term_Months__c" in fake.calls("/queryAll")[-1].query["q"]


def test_an_unknown_field_fails_with_one_line_naming_source_object_and_cause(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    ws = ws_for(tmp_path, fake, fields={"crm/deals": {"contract_term_months": "Nope__c"}})
    (result,) = pull(ws).objects
    assert result.error and "\n" not in result.error
    assert "INVALID_FIELD" in result.error and "fields:" in result.error
    assert str(result).startswith("crm (salesforce) Opportunity -> crm/deals: FAILED")
    assert batches(ws, "crm/deals") == []


# -- faults -----------------------------------------------------------------------------------


def test_an_expired_token_is_refreshed_once_mid_pull(tmp_path: Path, fake: SalesforceFake) -> None:
    ws = ws_for(tmp_path, fake)
    fake.inject(Fault("expire", path="/query/01gRO"))  # the token dies before the 2nd page
    report = pull(ws)
    assert not report.failures, report.objects
    assert len(all_rows(ws, "crm/deals")) == 5
    assert fake.token_requests == 2


def test_a_token_refused_twice_is_final(tmp_path: Path, fake: SalesforceFake) -> None:
    ws = ws_for(tmp_path, fake)
    fake.inject(Fault("status", path="/services/data", times=5, status=401,
                      body=[{"message": "Session expired or invalid",
                             "errorCode": "INVALID_SESSION_ID"}]))  # fmt: skip
    (result,) = pull(ws).objects
    assert "INVALID_SESSION_ID" in (result.error or "")
    assert "after a fresh token" in (result.error or "")
    assert fake.token_requests == 2


def test_request_limit_403_and_500s_and_a_dropped_connection_are_retried(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    ws = ws_for(tmp_path, fake)
    fake.inject(SalesforceFake.request_limit(path="/queryAll", times=2))
    fake.inject(Fault("status", path="/query/01gRO", times=2, status=500,
                      body=[{"message": "An unexpected error occurred.",
                             "errorCode": "UNKNOWN_EXCEPTION"}]))  # fmt: skip
    fake.inject(Fault("drop", path="/query/01gRO", skip=1))
    report = pull(ws)
    assert not report.failures, report.objects
    assert len(all_rows(ws, "crm/deals")) == 5


def test_a_persistent_failure_gives_up_in_bounded_time_writing_nothing(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    ws = ws_for(tmp_path, fake, max_retry_seconds=0.5)
    pull(ws)
    before = watermark(ws, "crm", "Opportunity")
    opportunity(fake, 30, T0 + timedelta(hours=3))
    fake.inject(
        Fault("status", path="/query/01gRO", times=10_000, status=503, body="Service Unavailable")
    )
    started = time.monotonic()
    (result,) = pull(ws).objects
    assert time.monotonic() - started < 3
    assert result.error is not None
    assert result.error.startswith("HTTP 503 Service Unavailable; gave up after")
    assert str(result).startswith("crm (salesforce) Opportunity -> crm/deals: FAILED: HTTP 503")
    assert len(batches(ws, "crm/deals")) == 1  # the first pull's batch only
    assert not [p for p in (ws.landing_dir / "crm/deals").iterdir() if p.name.startswith(".")]
    assert watermark(ws, "crm", "Opportunity") == before


# -- tokens and fx ------------------------------------------------------------------------------


def test_jwt_bearer_flow(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "sf.pem").write_text(private, "utf-8")
    with SalesforceFake(username="api@acme.com", jwt_public_key=public) as fake:
        opportunity(fake, 1, T0)
        source = {
            "kind": "salesforce",
            "base_url": fake.url,
            "auth_url": fake.url,
            "auth": {
                "method": "jwt_bearer",
                "client_id": "${SF_CLIENT_ID}",
                "username": "${SF_USERNAME}",
                "private_key_file": str(tmp_path / "keys" / "sf.pem"),
            },
        }
        ws = workspace_with(tmp_path / "ws", crm=source)
        env = {**ENV, "SF_USERNAME": "api@acme.com"}
        report = pull(ws, environ=env)
        assert not report.failures, report.objects
        assert len(all_rows(ws, "crm/deals")) == 1
        bad = pull(ws, environ={**env, "SF_USERNAME": "someone@else.com"})
        assert "invalid_grant" in (bad.failures[0].error or "")


def test_dated_conversion_rates_land_as_fx_rates(tmp_path: Path, fake: SalesforceFake) -> None:
    fake.put("CurrencyType", Id="01L1", IsoCode="USD", IsCorporate=True, ConversionRate=Decimal(1))
    fake.put("DatedConversionRate", Id="04w1", IsoCode="EUR", ConversionRate=Decimal("0.921234"),
             StartDate=date(2026, 1, 1), SystemModstamp=T0)  # fmt: skip
    fake.put("DatedConversionRate", Id="04w2", IsoCode="USD", ConversionRate=Decimal(1),
             StartDate=date(2026, 1, 1), SystemModstamp=T0)  # fmt: skip
    ws = ws_for(tmp_path, fake, fx_rates=True)
    report = pull(ws, objects=("DatedConversionRate",))
    assert not report.failures, report.objects
    assert all_rows(ws, "erp/fx_rates") == [
        {
            "rate_date": "2026-01-01",
            "from_currency": "USD",
            "to_currency": "EUR",
            "rate": "0.921234",
        }
    ]


def test_a_missing_environment_variable_is_named_without_pulling(
    tmp_path: Path, fake: SalesforceFake
) -> None:
    ws = ws_for(tmp_path, fake)
    report = pull(ws, environ={"SF_CLIENT_ID": "x"})
    assert report.failures
    message = str(report.failures[0])
    assert "sources.crm.auth.client_secret" in message and "SF_CLIENT_SECRET" in message
    assert fake.requests == []


def test_a_request_that_times_out_is_retried(tmp_path: Path, fake: SalesforceFake) -> None:
    ws = ws_for(tmp_path, fake, request_timeout_seconds=0.3)
    fake.inject(Fault("delay", path="/query/01gRO", seconds=1.0))
    report = pull(ws)
    assert not report.failures, report.objects
    assert len(all_rows(ws, "crm/deals")) == 5
    assert len(fake.calls("/query/01gRO")) == 2  # the second page timed out, then came
