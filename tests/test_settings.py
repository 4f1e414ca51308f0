"""openspm.yaml is parsed into typed settings; unknown or invalid keys are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from openspm.settings import SettingsError, load_settings
from openspm.warehouse.config import DuckDBSettings
from openspm.workspace import WORKSPACE_ENV, Workspace, resolve_workspace_dir


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "openspm.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_settings_get_contract_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "company: Acme Inc.\nreporting_currency: USD\n"))
    assert settings.company == "Acme Inc."
    assert settings.first_period is None
    assert settings.warehouse == DuckDBSettings(path="warehouse.duckdb")
    assert settings.accounting.practical_expedient is True
    assert settings.accounting.renewals_commensurate is True
    assert settings.accounting.expected_renewal_months == 0
    assert settings.accounting.default_contract_term_months == 12
    assert settings.accounting.draft_months == 1
    assert settings.accounting.payroll_clearing == "payroll_clearing"
    assert settings.sources == {}


def test_full_settings(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            "company: Acme\nreporting_currency: EUR\nfirst_period: 2026-01\n"
            "warehouse: data/wh.duckdb\n"
            "accounting: {practical_expedient: false, expected_renewal_months: 24}\n"
            "sources: {crm: {kind: file_drop, landing_dir: exports/crm}}\n",
        )
    )
    assert settings.first_period == "2026-01"  # stays text, not a YAML date
    assert settings.accounting.practical_expedient is False
    assert settings.accounting.expected_renewal_months == 24
    assert settings.sources["crm"].landing_dir == "exports/crm"
    ws = Workspace(tmp_path)
    assert ws.warehouse_path == tmp_path / "data" / "wh.duckdb"
    assert ws.entity_dir("crm", "deals") == tmp_path / "exports" / "crm" / "deals"
    assert ws.entity_dir("hris", "employees") == tmp_path / "landing" / "hris" / "employees"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("company: A\nreporting_currency: USD\ncolour: red\n", "key 'colour': unknown key"),
        ("reporting_currency: USD\n", "key 'company': required key is missing"),
        ("company: A\nreporting_currency: usd\n", "key 'reporting_currency': 'usd' is not an ISO"),
        ("company: A\nreporting_currency: USD\nfirst_period: 2026-13\n", "key 'first_period'"),
        (
            "company: A\nreporting_currency: USD\naccounting: {expected_renewal_months: -1}\n",
            "key 'accounting.expected_renewal_months'",
        ),
        (
            "company: A\nreporting_currency: USD\naccounting: {gl: x}\n",
            "key 'accounting.gl': unknown key",
        ),
        ("company: A\nreporting_currency: USD\nsources: {crm: {kind: ftp}}\n", "sources.crm.kind"),
        ("company: A\nreporting_currency: USD\nsources: {mrp: {}}\n", "sources.mrp"),
        ("- a\n- b\n", "expected a mapping"),
        ("company: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_settings_are_refused_by_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no settings file"):
        load_settings(tmp_path / "openspm.yaml")


def test_workspace_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(WORKSPACE_ENV, raising=False)
    assert resolve_workspace_dir() == tmp_path.resolve()
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path / "from_env"))
    assert resolve_workspace_dir() == (tmp_path / "from_env").resolve()
    assert resolve_workspace_dir(tmp_path / "explicit") == (tmp_path / "explicit").resolve()


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "openspm.yaml"
    path.write_text(
        "company: A\nreporting_currency: USD\nfirst_period: 2025-01\nfirst_period: 2026-10\n",
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match=r"'first_period' is given twice \(lines 3 and 4\)"):
        load_settings(path)
