"""The connectors demo: the demo company pulled from fake Salesforce, NetSuite and BambooHR
pays exactly what the same company dropped as files pays (drafts of every month, and a close);
``openspm ingest`` pulls, then loads."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SMALL, query
from typer.testing import CliRunner

from integrations.fakes import demo as fake_demo
from integrations.pull import pull_sources
from openspm.cli import app
from openspm.workspace import Workspace
from pipelines.close import close_month
from pipelines.runner import run_job

PAYOUTS = (
    "select employee_id, period, currency, commission, spiff, draw_top_up, draw_recovery, "
    "adjustments, negative_carry_in, net_payout from {table} {where} order by all"
)
runner = CliRunner()


@pytest.fixture(scope="module")
def pulled_demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The conftest demo company (seed 11, SMALL), pulled through the fakes and built."""
    root = tmp_path_factory.mktemp("pulled_demo")
    fake_demo.generate(root, seed=11, size=SMALL, overwrite=False)
    with fake_demo.serving(root) as vendors:
        fake_demo.write_settings(root, vendors)
        workspace = Workspace.open(root)
        report = pull_sources(workspace, environ=fake_demo.DEMO_ENV)
    assert not report.failures, report.objects
    assert not list(workspace.landing_dir.rglob("*.parquet"))  # all of it came by the pulls
    run_job("pipeline_job", workspace, quiet=True)
    return workspace


@pytest.mark.slow
def test_pulled_demo_pays_what_the_dropped_files_pay(
    pulled_demo: Workspace, built_demo: Workspace
) -> None:
    drafts = PAYOUTS.format(table="marts.fct_payouts", where="")
    pulled = query(pulled_demo, drafts)
    assert len(pulled) > 300
    assert pulled == query(built_demo, drafts)
    lines = "select * from marts.fct_payout_lines order by all"
    assert query(pulled_demo, lines) == query(built_demo, lines)

    result = close_month(pulled_demo, "2025-01", quiet=True)
    assert "2025-01" in str(result)
    published = query(pulled_demo, PAYOUTS.format(table="finance.payouts", where=""))
    expected = PAYOUTS.format(table="marts.fct_payouts", where="where period = '2025-01'")
    assert published == query(built_demo, expected)


@pytest.mark.slow
def test_ingest_pulls_one_source_then_loads(pulled_demo: Workspace, tmp_path: Path) -> None:
    with fake_demo.serving(pulled_demo.root, _ports(pulled_demo)):
        missing = runner.invoke(app, ["ingest", "-w", str(pulled_demo.root), "--source", "crm"])
        assert missing.exit_code == 1  # the demo's credentials are not in this environment
        assert "OPENSPM_DEMO_SF_CLIENT_ID" in missing.output
        assert "nothing was loaded" in missing.output
        before = len(list((pulled_demo.landing_dir / "crm" / "deals").iterdir()))
        result = runner.invoke(
            app,
            ["ingest", "-w", str(pulled_demo.root), "--source", "crm", "-q"],
            env=fake_demo.DEMO_ENV,
        )
    assert result.exit_code == 0, result.output
    assert "pulled" in result.output and "ingest_job" in result.output
    assert len(list((pulled_demo.landing_dir / "crm" / "deals").iterdir())) == before + 1
    hris = list((pulled_demo.landing_dir / "hris" / "employees").glob("*.csv"))
    assert len(hris) == 1  # --source crm pulled nothing else
    wrong = runner.invoke(app, ["ingest", "-w", str(tmp_path), "--source", "crm"])
    assert wrong.exit_code == 1


def _ports(workspace: Workspace) -> dict[str, int]:
    return {
        system: urlsplit(source.base_url or "").port or 0
        for system, source in workspace.settings.sources.items()
    }
