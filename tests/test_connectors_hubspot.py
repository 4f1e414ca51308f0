"""HubSpot through its fake: search sliced under the 10,000-result cap, archived deals,
owners by email, won from the pipeline stage, and its 429s."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from connector_helpers import all_rows, batches, rows, watermark, workspace_with

from integrations.fakes import HubSpotFake
from integrations.pull import pull_sources

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
ENV = {"HUBSPOT_TOKEN": "pat-na1-demo-token"}


@pytest.fixture
def fake() -> Iterator[HubSpotFake]:
    server = HubSpotFake()
    server.start()
    server.put_owner("41629779", "ada@acme.com", 9586504, T0)
    server.put_owner("41629780", "gone@acme.com", 9586505, T0, archived=True)
    server.put("companies", "501", T0, name="Acme GmbH", country="Germany", industry="SOFTWARE")
    for n in range(3):
        deal(server, 1000 + n, T0 + timedelta(minutes=n))
    yield server
    server.stop()


def deal(fake: HubSpotFake, n: int, modified: datetime, **props: object) -> None:
    values = {
        "amount": "50000.00",
        "closedate": "2026-03-31T23:30:00.000Z",
        "dealstage": "closedwon",
        "pipeline": "default",
        "hubspot_owner_id": "41629779",
        "deal_currency_code": "EUR",
        "dealtype": "newbusiness",
        **props,
    }
    fake.put("deals", str(n), modified, **values)
    fake.associations[str(n)] = ["501"]


def ws_for(tmp_path: Path, fake: HubSpotFake, **extra: object):
    source = {
        "kind": "hubspot",
        "base_url": fake.url,
        "auth": {"method": "bearer", "token": "${HUBSPOT_TOKEN}"},
        "since": "2026-01-01",
        "timezone": "Europe/Berlin",
        **extra,
    }
    return workspace_with(tmp_path / "ws", crm=source)


def test_deals_map_won_from_the_stage_and_the_company_from_associations(
    tmp_path: Path, fake: HubSpotFake
) -> None:
    fake.pipelines[0]["stages"].append(
        {
            "id": "1234567",
            "label": "Signed!",
            "metadata": {"isClosed": "true", "probability": "1.0"},
        }
    )
    deal(fake, 2000, T0, dealstage="1234567", dealtype="existingbusiness")
    deal(fake, 2001, T0, dealstage="closedlost", amount="")
    ws = ws_for(tmp_path, fake)
    report = pull_sources(ws, environ=ENV)
    assert not report.failures, report.objects
    deals = {r["deal_id"]: r for r in all_rows(ws, "crm/deals")}
    assert deals["1000"] == {
        "deal_id": "1000",
        "account_id": "501",
        "owner_id": "41629779",
        "deal_type": "new_business",
        "stage": "Closed Won",
        "is_won": "true",
        "close_date": "2026-04-01",  # 23:30 UTC is the next day in Berlin
        "amount": "50000.00",
        "currency": "EUR",
        "is_closed": "true",
        "probability": "100",
        "forecast_category": "",
        "modified_at": "2026-04-01T12:00:00.000Z",
        "is_deleted": "false",
    }
    assert (deals["2000"]["is_won"], deals["2000"]["stage"]) == ("true", "Signed!")
    assert deals["2000"]["deal_type"] == "expansion"
    assert (deals["2001"]["is_won"], deals["2001"]["is_closed"]) == ("false", "true")
    users = {r["user_id"]: r for r in all_rows(ws, "crm/users")}
    assert set(users) == {"41629779", "41629780"}  # the owner id, never the userId
    assert all(r.get("is_deleted") in (None, "", "false") for r in users.values())
    assert all_rows(ws, "crm/accounts")[0]["name"] == "Acme GmbH"


def test_owners_match_employees_by_email(tmp_path: Path, fake: HubSpotFake) -> None:
    ws = ws_for(tmp_path, fake)
    folder = ws.landing_dir / "hris" / "employees"
    folder.mkdir(parents=True)
    (folder / "e.csv").write_text(
        "employee_id,first_name,last_name,email,hire_date,modified_at\n"
        "E7,Ada,Rep,ADA@acme.com,2024-01-01,2025-01-01T00:00:00Z\n",
        "utf-8",
    )
    pull_sources(ws, environ=ENV, objects=("owners",))
    matched = {r["user_id"]: r["employee_id"] for r in all_rows(ws, "crm/users")}
    assert matched == {"41629779": "E7", "41629780": "gone@acme.com"}


def test_the_search_cap_is_handled_by_slicing_time_windows(
    tmp_path: Path, fake: HubSpotFake
) -> None:
    for n in range(10_500):
        deal(fake, 10_000 + n, T0 + timedelta(seconds=n))
    ws = ws_for(tmp_path, fake, since="2026-04-01")
    report = pull_sources(ws, environ=ENV, objects=("deals",))
    assert not report.failures, report.objects
    ids = [r["deal_id"] for r in all_rows(ws, "crm/deals")]
    assert len(ids) == len(set(ids)) == 10_503
    searches = [c.json() for c in fake.calls("/deals/search")]
    assert all(int(s.get("after", 0)) + s["limit"] <= 10_000 for s in searches)
    windows = {tuple(f["value"] for f in s["filterGroups"][0]["filters"]) for s in searches}
    assert len(windows) >= 3  # the whole range was too big, then halves, ...


def test_archived_deals_land_deleted_and_increments_overlap(
    tmp_path: Path, fake: HubSpotFake
) -> None:
    ws = ws_for(tmp_path, fake)
    pull_sources(ws, environ=ENV, objects=("deals",))
    assert watermark(ws, "crm", "deals") == T0 + timedelta(minutes=2)
    fake.archive("deals", "1001", T0 + timedelta(hours=1))
    deal(fake, 1002, T0 + timedelta(hours=2), amount="1.00")
    pull_sources(ws, environ=ENV, objects=("deals",))
    last = {r["deal_id"]: r for r in rows(batches(ws, "crm/deals")[-1])}
    assert last["1001"]["is_deleted"] == "true"
    assert last["1001"]["modified_at"] == "2026-04-01T13:00:00.000Z"  # versioned at archivedAt
    assert last["1002"]["amount"] == "1.00"
    assert watermark(ws, "crm", "deals") == T0 + timedelta(hours=2)


def test_429_with_retry_after_is_honoured_and_daily_is_final(
    tmp_path: Path, fake: HubSpotFake
) -> None:
    ws = ws_for(tmp_path, fake)
    fake.inject(HubSpotFake.rate_limit(path="/owners", retry_after="1"))
    started = time.monotonic()
    report = pull_sources(ws, environ=ENV, objects=("owners",))
    assert not report.failures, report.objects
    assert time.monotonic() - started >= 1.0
    fake.inject(HubSpotFake.rate_limit(path="/owners", policy="DAILY"))
    (failed,) = pull_sources(ws, environ=ENV, objects=("owners",)).objects
    assert "RATE_LIMIT" in (failed.error or "") and "midnight" in (failed.error or "")


def test_a_wrong_token_is_refused_in_one_line(tmp_path: Path, fake: HubSpotFake) -> None:
    ws = ws_for(tmp_path, fake)
    (failed, *_) = pull_sources(ws, environ={"HUBSPOT_TOKEN": "pat-wrong"}).objects
    assert failed.error and "HTTP 401" in failed.error and "INVALID_AUTHENTICATION" in failed.error
    assert "pat-wrong" not in failed.error
