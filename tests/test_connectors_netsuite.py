"""NetSuite through its fake: SuiteQL paging with hasMore and the 100,000-row restart, both
auth schemes, invoices to deals through the configured field, payments and rates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from connector_helpers import all_rows, batches, rows, watermark, workspace_with
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations import netsuite
from integrations.fakes import Fault, NetSuiteFake
from integrations.fakes.netsuite import QUERY_PATH
from integrations.pull import pull_sources
from openspm.settings import SettingsError, parse_settings

T0 = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
TBA = {
    "consumer_key": "ck-demo",
    "consumer_secret": "cs-demo",
    "token_id": "tk-demo",
    "token_secret": "ts-demo",
}
TBA_ENV = {f"NS_{k.upper()}": v for k, v in TBA.items()}


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
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
    return private, public


@pytest.fixture
def fake(keys: tuple[str, str]) -> Iterator[NetSuiteFake]:
    server = NetSuiteFake(public_key=keys[1], tba=TBA, realm="1234567")
    server.start()
    eur = server.currency_id("EUR")
    for n in range(1, 8):
        server.put_transaction(id=16029000 + n, tranid=f"INV{n}", type="CustInvc", status="B",
                               trandate=date(2026, 3, n), currency=eur,
                               foreigntotal=Decimal("12000.50"), custbody_crm_deal_id=f"D{n}",
                               lastmodifieddate=T0 + timedelta(minutes=n))  # fmt: skip
    server.put_transaction(id=16029100, tranid="CM1", type="CustCred", status="A",
                           trandate=date(2026, 3, 20), currency=eur, foreigntotal=Decimal("500"),
                           custbody_crm_deal_id="D1", lastmodifieddate=T0)  # fmt: skip
    server.put_transaction(id=16029200, tranid="PAY1", type="CustPymt", status="C",
                           trandate=date(2026, 3, 25), currency=eur, foreigntotal=Decimal("9000"),
                           lastmodifieddate=T0)  # fmt: skip
    server.links += [
        {"previousdoc": 16029001, "nextdoc": 16029200, "linktype": "Payment",
         "foreignamount": Decimal("6000")},
        {"previousdoc": 16029002, "nextdoc": 16029200, "linktype": "Payment",
         "foreignamount": Decimal("3000")},
    ]  # fmt: skip
    server.rates.append({"id": 1, "basecurrency": server.currency_id("USD"),
                         "transactioncurrency": eur, "exchangerate": Decimal("1.0832"),
                         "effectivedate": date(2026, 3, 31)})  # fmt: skip
    yield server
    server.stop()


def ws_for(tmp_path: Path, fake: NetSuiteFake, auth: dict, **extra: object):
    source = {
        "kind": "netsuite",
        "base_url": fake.url,
        "auth": auth,
        "deal_id_field": "custbody_crm_deal_id",
        "since": "2026-01-01",
        **extra,
    }
    return workspace_with(tmp_path / "ws", erp=source)


M2M = {
    "method": "oauth2_m2m",
    "client_id": "${NS_CLIENT_ID}",
    "certificate_id": "${NS_CERTIFICATE_ID}",
    "private_key": "${NS_PRIVATE_KEY}",
}
TBA_AUTH = {"method": "tba", **{k: f"${{NS_{k.upper()}}}" for k in TBA}}


def m2m_env(keys: tuple[str, str]) -> dict[str, str]:
    return {
        "NS_CLIENT_ID": "demo-netsuite-client",
        "NS_CERTIFICATE_ID": "demo-certificate",
        "NS_PRIVATE_KEY": keys[0],
    }


def test_invoices_payments_and_rates_through_m2m(
    tmp_path: Path, fake: NetSuiteFake, keys: tuple[str, str]
) -> None:
    ws = ws_for(tmp_path, fake, M2M)
    report = pull_sources(ws, environ=m2m_env(keys))
    assert not report.failures, report.objects
    invoices = {r["invoice_id"]: r for r in all_rows(ws, "erp/invoices")}
    assert invoices["16029001"] == {
        "invoice_id": "16029001",
        "deal_id": "D1",
        "invoice_date": "2026-03-01",
        "amount": "12000.50",
        "currency": "EUR",
        "status": "paid",
        "modified_at": "2026-04-02T09:01:00",
    }
    assert (invoices["16029100"]["amount"], invoices["16029100"]["status"]) == ("-500", "open")
    payments = {r["payment_id"]: r for r in all_rows(ws, "erp/payments")}
    assert payments["16029200-16029001"] == {
        "payment_id": "16029200-16029001",
        "invoice_id": "16029001",
        "payment_date": "2026-03-25",
        "amount": "6000",
        "currency": "EUR",
        "modified_at": "2026-04-02T09:00:00",
    }
    assert all_rows(ws, "erp/fx_rates") == [
        {"rate_date": "2026-03-31", "from_currency": "EUR", "to_currency": "USD", "rate": "1.0832"}
    ]
    query = fake.calls(QUERY_PATH)[0]
    assert query.headers["prefer"] == "transient"
    assert "BUILTIN.CF(t.status)" in query.json()["q"] and "c.symbol" in query.json()["q"]
    assert fake.token_requests == 1
    assert watermark(ws, "erp", "invoices") == T0 + timedelta(minutes=7)


def test_tba_signs_every_request(tmp_path: Path, fake: NetSuiteFake) -> None:
    ws = ws_for(tmp_path, fake, TBA_AUTH, account="1234567")
    report = pull_sources(ws, environ=TBA_ENV, objects=("invoices",))
    assert not report.failures, report.objects
    assert len(all_rows(ws, "erp/invoices")) == 8
    bad = pull_sources(ws, environ={**TBA_ENV, "NS_TOKEN_SECRET": "wrong"}, objects=("invoices",))
    assert "INVALID_LOGIN" in (bad.failures[0].error or "")


def test_paging_follows_has_more_and_restarts_after_the_row_cap(
    tmp_path: Path, fake: NetSuiteFake, monkeypatch: pytest.MonkeyPatch, keys: tuple[str, str]
) -> None:
    # the real cap is 100,000 rows a query; scaled down to 5 so that 8 invoices cross it
    monkeypatch.setattr(netsuite, "ROW_CAP", 5)
    fake.row_cap = 5
    ws = ws_for(tmp_path, fake, M2M, page_size=2)
    report = pull_sources(ws, environ=m2m_env(keys), objects=("invoices",))
    assert not report.failures, report.objects
    ids = [r["invoice_id"] for r in all_rows(ws, "erp/invoices")]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 8
    calls = fake.calls(QUERY_PATH)
    assert max(int(c.query["offset"]) for c in calls) < 5
    assert any("t.id > " in c.json()["q"] for c in calls)  # the keyset restart


def test_concurrency_limit_is_retried_and_an_expired_token_refreshed(
    tmp_path: Path, fake: NetSuiteFake, keys: tuple[str, str]
) -> None:
    ws = ws_for(tmp_path, fake, M2M, page_size=3)
    fake.inject(Fault("expire", path=QUERY_PATH, skip=1))  # the token dies before page 2
    fake.inject(NetSuiteFake.concurrency_limit(times=2))
    report = pull_sources(ws, environ=m2m_env(keys), objects=("invoices",))
    assert not report.failures, report.objects
    assert len(all_rows(ws, "erp/invoices")) == 8
    assert fake.token_requests == 2


def test_increments_and_a_bad_deal_field(
    tmp_path: Path, fake: NetSuiteFake, keys: tuple[str, str]
) -> None:
    ws = ws_for(tmp_path, fake, M2M)
    pull_sources(ws, environ=m2m_env(keys), objects=("invoices",))
    fake.put_transaction(id=16029001, status="V", lastmodifieddate=T0 + timedelta(days=1))
    pull_sources(ws, environ=m2m_env(keys), objects=("invoices",))
    last = {r["invoice_id"]: r for r in rows(batches(ws, "erp/invoices")[-1])}
    assert last["16029001"]["status"] == "void"
    pull_sources(ws, environ=m2m_env(keys), objects=("invoices",))
    third = [r["invoice_id"] for r in rows(batches(ws, "erp/invoices")[-1])]
    assert third == ["16029001"]  # the watermark moved to its change; the rest is older
    ws2 = ws_for(tmp_path / "two", fake, M2M, deal_id_field="custbody_missing")
    (failed,) = pull_sources(ws2, environ=m2m_env(keys), objects=("invoices",)).objects
    assert failed.error and "INVALID_PARAMETER" in failed.error and "deal_id_field" in failed.error


def test_settings_refuse_a_netsuite_source_without_its_deal_field() -> None:
    source = {"kind": "netsuite", "base_url": "http://127.0.0.1:1", "auth": TBA_AUTH}
    with pytest.raises(SettingsError, match=r"sources\.erp\.deal_id_field'.*CRM deal id"):
        parse_settings({"company": "A", "reporting_currency": "USD", "sources": {"erp": source}})


def test_rates_from_a_connector_refuse_dropped_rate_files(
    tmp_path: Path, fake: NetSuiteFake, keys: tuple[str, str]
) -> None:
    ws = ws_for(tmp_path, fake, M2M)
    folder = ws.landing_dir / "erp" / "fx_rates"
    folder.mkdir(parents=True)
    (folder / "rates_2026.csv").write_text("rate_date,from_currency,to_currency,rate\n", "utf-8")
    report = pull_sources(ws, environ=m2m_env(keys), objects=("currency_rates",))
    (failed,) = report.failures
    assert "rates_2026.csv" in (failed.error or "") and "fx_rates: false" in (failed.error or "")
    assert [p.name for p in folder.iterdir()] == ["rates_2026.csv"]
