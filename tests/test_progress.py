"""What a command shows while a run works: plain lines when piped, nothing when quiet."""

from __future__ import annotations

import io

import pytest

from openspm.cli.progress import RunProgress, step_label
from pipelines.run_log import RunEvent


def events() -> list[RunEvent]:
    ingest = {"batches_loaded": 2, "rows_loaded": 1200, "rows_quarantined": 1}
    skipped = {"batches_loaded": 0, "batches_skipped": 4}
    return [
        RunEvent("run_started", None, metadata={"steps": 5, "dbt_nodes": 3}),
        RunEvent("step_started", "raw__crm__deals"),
        RunEvent("materialized", "raw__crm__deals", "raw/crm__deals", ingest),
        RunEvent("step_succeeded", "raw__crm__deals"),
        RunEvent("step_started", "raw__erp__fx_rates"),
        RunEvent("materialized", "raw__erp__fx_rates", "raw/erp__fx_rates", skipped),
        RunEvent("step_succeeded", "raw__erp__fx_rates"),
        RunEvent("step_started", "openspm_dbt_models"),
        RunEvent("materialized", "openspm_dbt_models", "stg_crm__deals"),
        RunEvent("materialized", "openspm_dbt_models", "fct_payouts"),
        RunEvent("checked", "openspm_dbt_models", "fct_payouts", {"severity": "ERROR"}, True),
        RunEvent("step_succeeded", "openspm_dbt_models"),
        RunEvent("step_started", "data_quality_checks"),
        RunEvent("checked", "data_quality_checks", "fct_payouts", {"severity": "ERROR"}, True),
        RunEvent("checked", "data_quality_checks", "fct_payouts", {"severity": "WARN"}, False),
        RunEvent("step_succeeded", "data_quality_checks"),
        RunEvent("step_started", "publish_month"),
        RunEvent("step_failed", "publish_month", message="a reconciliation failed"),
    ]


def test_piped_output_is_one_plain_line_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = io.StringIO(), io.StringIO()  # neither is a terminal
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    with RunProgress("close 2026-03") as progress:
        for event in events():
            progress(event)
    assert out.getvalue().splitlines() == [
        "  done     ingest: 2 entities, 2 batch(es) loaded (1,200 rows, 1 quarantined), "
        "4 already loaded",
        "  done     dbt build: 2 models built, 1 tests passed",
        "  done     data-quality checks: 1 passed, 0 failed, 1 warning(s)",
        "  failed   publish",
    ]
    assert err.getvalue() == ""


def test_quiet_shows_nothing_and_a_terminal_gets_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    with RunProgress("close 2026-03", quiet=True) as progress:
        for event in events():
            progress(event)
    assert out.getvalue() == ""
    terminal = io.StringIO()
    monkeypatch.setattr("sys.stderr", terminal)
    bar = RunProgress("close 2026-03")
    bar.console.file = terminal
    bar.console._force_terminal = True  # rich: treat the stream as a terminal
    bar.bar = True
    with bar:
        for event in events():
            bar(event)
    assert out.getvalue() == ""  # no plain lines on a terminal: the bar shows the steps


def test_step_labels() -> None:
    assert step_label("raw__crm__deal_splits") == "ingest crm/deal_splits"
    assert step_label("openspm_dbt_models") == "dbt build"
    assert step_label("publish_month") == "publish"
