"""The openspm command line: help everywhere, one-line causes, validation that changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_workspace
from typer.testing import CliRunner

from openspm.cli import app
from openspm.demo import DemoSize

COMMANDS = ["demo", "validate", "ingest", "run", "close", "backfill", "status"]
runner = CliRunner()


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    if command:
        assert "--workspace" in result.output


def test_invalid_settings_give_a_one_line_cause(tmp_path: Path) -> None:
    (tmp_path / "openspm.yaml").write_text("company: X\nreporting_currency: USD\ncolour: red\n")
    for command in ("validate", "ingest", "run"):
        result = runner.invoke(app, [command, "--workspace", str(tmp_path)])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, lines
        assert "openspm.yaml" in lines[0] and "key 'colour': unknown key" in lines[0]


def test_workspace_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "openspm.yaml").write_text("company: X\nreporting_currency: usd\n")
    monkeypatch.setenv("OPENSPM_WORKSPACE", str(tmp_path))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    assert "reporting_currency" in result.output


def test_validate_reports_bad_landing_data_and_writes_nothing(tmp_path: Path) -> None:
    workspace = make_workspace(
        tmp_path / "ws", seed=2, size=DemoSize(employees=20, deals=300, months=12)
    )
    good = runner.invoke(app, ["validate", "--workspace", str(workspace.root)])
    assert good.exit_code == 0, good.output
    deals = workspace.entity_dir("crm", "deals")
    (deals / "zz_bad.csv").write_text(
        "deal_id,account_id,owner_id,deal_type,stage,is_won,close_date,amount,currency,modified_at\n"
        "D-X,A1,U1,new_business,closed_won,true,2026-01-32,10,USD,2026-02-01T00:00:00Z\n",
        encoding="utf-8",
    )
    bad = runner.invoke(app, ["validate", "--workspace", str(workspace.root)])
    assert bad.exit_code == 1
    assert "zz_bad.csv" in bad.output and "close_date" in bad.output
    assert not workspace.warehouse_path.exists()


def test_demo_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["demo", "--workspace", str(tmp_path), "--no-run"])
    assert result.exit_code == 1
    assert str(tmp_path) in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_validate_reports_configuration_errors_with_file_and_line(tmp_path: Path) -> None:
    workspace = make_workspace(
        tmp_path / "ws", seed=2, size=DemoSize(employees=20, deals=300, months=12)
    )
    plan = workspace.comp_dir / "plans" / "AE-2025.yaml"
    lines = plan.read_text(encoding="utf-8").splitlines()
    second_tier = next(i for i, line in enumerate(lines) if "{from: 1.0" in line)
    lines[second_tier] = lines[second_tier].replace("from: 1.0", "from: -0.5")
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assignments = workspace.comp_dir / "plan_assignments.csv"
    first = assignments.read_text(encoding="utf-8").splitlines()[1]
    with assignments.open("a", encoding="utf-8") as handle:
        handle.write(first.replace(first.split(",")[1], "NO-SUCH-PLAN", 1) + "\n")

    result = runner.invoke(app, ["validate", "--workspace", str(workspace.root)])
    assert result.exit_code == 1
    assert f"comp/plans/AE-2025.yaml line {second_tier + 1}" in result.output
    assert "tiers" in result.output
    assert "comp/plan_assignments.csv row" in result.output
    assert "NO-SUCH-PLAN" in result.output
    assert not workspace.warehouse_path.exists()
