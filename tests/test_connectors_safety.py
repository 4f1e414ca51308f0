"""Pulls are all-or-nothing and keep secrets secret: a pull killed halfway (a real process,
SIGKILL) leaves no batch and the watermark where it was; no secret reaches a log line, an error
message or any file of the workspace."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from connector_helpers import all_rows, batches, watermark, workspace_with

from integrations.fakes import Fault, SalesforceFake
from integrations.pull import pull_sources
from openspm.entities import entity
from openspm.ingest import ingest_entity
from openspm.settings import SettingsError, parse_settings

T0 = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
SECRET = "sf-S3CRET-do-not-print-4711"
ENV = {"SF_CLIENT_ID": "demo-client-id", "SF_CLIENT_SECRET": SECRET}
REPO = Path(__file__).resolve().parents[1]


def add(fake: SalesforceFake, n: int, modified: datetime) -> None:
    fake.put("Opportunity", Id=f"006{n:015d}", AccountId="001A", OwnerId="005A",
             Amount=Decimal("100.00"), CurrencyIsoCode="USD", CloseDate=date(2026, 3, 1),
             StageName="Closed Won", IsClosed=True, IsWon=True, Type="New Customer",
             SystemModstamp=modified)  # fmt: skip


def sf_workspace(root: Path, fake: SalesforceFake):
    source = {
        "kind": "salesforce",
        "base_url": fake.url,
        "auth": {
            "method": "client_credentials",
            "client_id": "${SF_CLIENT_ID}",
            "client_secret": "${SF_CLIENT_SECRET}",
        },
        "since": "2026-01-01",
    }
    return workspace_with(root, crm=source)


def test_a_pull_killed_halfway_leaves_no_batch_and_the_watermark(tmp_path: Path) -> None:
    with SalesforceFake(client_secret=SECRET, rest_batch=2) as fake:
        for n in range(3):
            add(fake, n, T0 + timedelta(minutes=n))
        ws = sf_workspace(tmp_path / "ws", fake)
        assert not pull_sources(ws, environ=ENV, objects=("Opportunity",)).failures
        before = watermark(ws, "crm", "Opportunity")
        (first_batch,) = batches(ws, "crm/deals")
        for n in range(3, 11):
            add(fake, n, T0 + timedelta(hours=1, minutes=n))
        stall = fake.inject(Fault("delay", path="/query/01gRO", skip=1, seconds=60))
        script = (
            "import sys; from integrations.pull import pull_sources; "
            "from openspm.workspace import Workspace; "
            "pull_sources(Workspace.open(sys.argv[1]), objects=['Opportunity'])"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", script, str(ws.root)],
            cwd=REPO,
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert stall.hit.wait(30), "the pull never reached its third page"
            folder = ws.landing_dir / "crm" / "deals"
            parts = [p for p in folder.iterdir() if p.name.startswith(".pull-")]
            assert parts  # the batch is being streamed into its hidden file
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
        assert batches(ws, "crm/deals") == [first_batch]
        assert watermark(ws, "crm", "Opportunity") == before
        report = ingest_entity(ws, entity("crm/deals"))  # the hidden leftover is never read
        assert (report.batches_loaded, report.files_ignored) == (1, 0)
        # the next pull removes the dead process's leftover and lands everything
        assert not pull_sources(ws, environ=ENV, objects=("Opportunity",)).failures
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]
        assert len(batches(ws, "crm/deals")) == 2
        assert watermark(ws, "crm", "Opportunity") == T0 + timedelta(hours=1, minutes=10)


def test_secrets_are_absent_from_logs_errors_and_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with SalesforceFake(client_secret=SECRET) as fake:
        for n in range(4):
            add(fake, n, T0 + timedelta(minutes=n))
        ws = sf_workspace(tmp_path / "ws", fake)
        ok = pull_sources(ws, environ=ENV, progress=print)
        assert not ok.failures
        tokens = set(fake.tokens)
        # a vendor error that echoes the secret, and a wrong secret: both end in messages
        echo = {"error": "invalid_client", "error_description": f"bad secret {SECRET}"}
        fake.inject(Fault("status", path="/oauth2/token", status=400, body=echo))
        failed = pull_sources(ws, environ=ENV, progress=print, objects=("Opportunity",))
        wrong = pull_sources(ws, environ={**ENV, "SF_CLIENT_SECRET": SECRET + "-x"},
                             progress=print, objects=("Account",))  # fmt: skip
        assert failed.failures and wrong.failures
        assert "[secret]" in str(failed.failures[0])
        ingest_entity(ws, entity("crm/deals"))
        assert all_rows(ws, "crm/deals")
    captured = capsys.readouterr()
    texts = [caplog.text, captured.out, captured.err, *(str(o) for o in failed.objects)]
    texts += [str(o) for o in wrong.objects]
    for secret in (SECRET, *tokens):
        for text in texts:
            assert secret not in text
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    assert "invalid_client" in caplog.text  # the failure itself was logged


def test_a_literal_secret_in_settings_is_refused_without_repeating_it() -> None:
    source = {
        "kind": "salesforce",
        "base_url": "https://acme.my.salesforce.com",
        "auth": {"method": "client_credentials", "client_id": "${SF_ID}", "client_secret": SECRET},
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings({"company": "A", "reporting_currency": "USD", "sources": {"crm": source}})
    message = str(caught.value)
    assert "sources.crm.auth.client_secret" in message and "${ENV_VAR}" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({"erp": {"kind": "hubspot"}}, "sources.erp.kind': 'hubspot' is no erp source"),
        (
            {
                "crm": {"kind": "salesforce", "fx_rates": True, "base_url": "http://x",
                        "auth": {"method": "client_credentials", "client_id": "${A}",
                                 "client_secret": "${B}"}},
                "erp": {"kind": "netsuite", "base_url": "http://y", "deal_id_field": "custbody_d",
                        "auth": {"method": "tba", "consumer_key": "${A}", "consumer_secret": "${A}",
                                 "token_id": "${A}", "token_secret": "${A}"}},
            },
            "fx rates must come from exactly one place",
        ),
        (
            {"crm": {"kind": "hubspot", "base_url": "http://x", "fx_rates": True,
                     "auth": {"method": "bearer", "token": "${T}"}}},
            "hubspot delivers no exchange rates",
        ),
        (
            {"crm": {"kind": "hubspot", "base_url": "http://x",
                     "auth": {"method": "bearer", "token": "${T}"},
                     "fields": {"crm/deals": {"colour": "x"}}}},
            "sources.crm.fields.crm/deals.colour': crm/deals has no column colour",
        ),
        ({"hris": {"kind": "file_drop", "since": "2025-01-01"}}, "only a connector takes"),
        (
            {"hris": {"kind": "bamboohr", "base_url": "http://x", "auth": {"method": "oauth"}}},
            "sources.hris.auth.method': 'oauth' is not one of api_key",
        ),
    ],
)  # fmt: skip
def test_source_settings_are_checked_by_key(sources: dict, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"company": "A", "reporting_currency": "USD", "sources": sources})
    assert expected in str(caught.value)


def test_timing_of_a_pull_is_reported(tmp_path: Path) -> None:
    with SalesforceFake() as fake:
        add(fake, 1, T0)
        ws = sf_workspace(tmp_path / "ws", fake)
        started = time.monotonic()
        report = pull_sources(ws, environ={**ENV, "SF_CLIENT_SECRET": "demo-client-secret"})
        assert time.monotonic() - started < 5
    assert report.summary().startswith("pulled 1 rows of 4 object(s) into 1 new batch(es)")
