"""Candidate plan sets (scenarios) and the compensation configuration each one is modelled with.

``--plans DIR`` holds either one scenario or several (docs/modelling.md, "Scenarios"):

- plan files (``*.yaml``) directly in DIR: one scenario, named after DIR;
- else one subfolder per scenario, named after the subfolder, holding its plan files directly
  or in ``plans/``.

A scenario folder may also hold ``plan_assignments.csv`` and ``quotas.csv``: they replace
``--assignments`` / ``--quotas`` for that scenario, which in turn replace the workspace's own
``comp/plan_assignments.csv`` / ``comp/quotas.csv``. The current plans (the workspace's
``comp/``) are always modelled too, as the scenario ``current``. Manual adjustments and go-live
opening balances are left out of every scenario: modelling compares what the plans cost.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from openspm.comp import CompConfig, CompConfigError, load_comp_config
from openspm.ingest import delivered_employee_ids
from openspm.settings import SETTINGS_FILE
from openspm.workspace import Workspace

CURRENT = "current"
ASSIGNMENTS_FILE = "plan_assignments.csv"
QUOTAS_FILE = "quotas.csv"
ADJUSTMENTS_HEADER = "adjustment_id,employee_id,period,amount,currency,reason\n"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ModellingError(ValueError):
    """Modelling cannot run as asked; the message names the file, option or cause."""


@dataclass(frozen=True)
class Scenario:
    """One plan set to model: its plan files and the assignments and quotas that go with it."""

    name: str
    plan_files: tuple[Path, ...]
    assignments: Path
    quotas: Path
    source: Path  # the folder the plans come from (comp/plans for the current plans)

    @property
    def is_current(self) -> bool:
        return self.name == CURRENT


def _plans_folder(folder: Path) -> Path:
    return folder / "plans" if (folder / "plans").is_dir() else folder


def _plan_files(folder: Path) -> list[Path]:
    inside = _plans_folder(folder)
    return sorted(p for p in inside.glob("*.yaml") if p.is_file() and not p.name.startswith("."))


def _chosen(folder: Path, name: str, given: Path | None, default: Path) -> Path:
    own = folder / name
    path = own if own.is_file() else (given if given is not None else default)
    if not path.is_file():
        raise ModellingError(f"{path}: no such file ({name} of the scenario {folder.name})")
    return path.resolve()


def discover(
    ws: Workspace,
    plans_dir: Path,
    assignments: Path | None = None,
    quotas: Path | None = None,
) -> list[Scenario]:
    """The current plans, then every candidate scenario of ``plans_dir`` (sorted by name)."""
    if not plans_dir.is_dir():
        raise ModellingError(f"--plans {plans_dir}: no such folder")
    for option, path in (("--assignments", assignments), ("--quotas", quotas)):
        if path is not None and not path.is_file():
            raise ModellingError(f"{option} {path}: no such file")
    comp = ws.comp_dir
    current = Scenario(
        CURRENT,
        tuple(_plan_files(comp / "plans")),
        (comp / ASSIGNMENTS_FILE).resolve(),
        (comp / QUOTAS_FILE).resolve(),
        (comp / "plans").resolve(),
    )
    if _plan_files(plans_dir):
        folders = [plans_dir]
    else:
        folders = sorted(p for p in plans_dir.iterdir() if p.is_dir() and _plan_files(p))
    if not folders:
        raise ModellingError(
            f"--plans {plans_dir}: no plan files (*.yaml) in it, nor in a subfolder per scenario"
        )
    scenarios = [current]
    for folder in folders:
        name = folder.resolve().name
        if not NAME_RE.match(name) or name == CURRENT:
            raise ModellingError(
                f"--plans {folder}: a scenario is named after its folder, which must be letters, "
                f"digits, '.', '_' or '-' (at most 64) and not {CURRENT!r}"
            )
        scenarios.append(
            Scenario(
                name,
                tuple(_plan_files(folder)),
                _chosen(folder, ASSIGNMENTS_FILE, assignments, comp / ASSIGNMENTS_FILE),
                _chosen(folder, QUOTAS_FILE, quotas, comp / QUOTAS_FILE),
                _plans_folder(folder).resolve(),
            )
        )
    return scenarios


def scenario_workspace(ws: Workspace, scenario: Scenario, first: str, folder: Path) -> Workspace:
    """A throwaway workspace folder with the scenario's comp/ and ``first_period: first``."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = yaml.safe_load(ws.settings_path.read_text(encoding="utf-8")) or {}
    settings["first_period"] = first
    settings.pop("sources", None)  # nothing is pulled or loaded here
    (folder / SETTINGS_FILE).write_text(yaml.safe_dump(settings, sort_keys=False))
    comp = folder / "comp"
    plans = comp / "plans"
    plans.mkdir(parents=True, exist_ok=True)
    for path in scenario.plan_files:
        shutil.copyfile(path, plans / path.name)
    shutil.copyfile(scenario.assignments, comp / ASSIGNMENTS_FILE)
    shutil.copyfile(scenario.quotas, comp / QUOTAS_FILE)
    (comp / "adjustments.csv").write_text(ADJUSTMENTS_HEADER)
    return Workspace(folder.resolve())


def load_scenario(ws: Workspace, scenario: Scenario, first: str, folder: Path) -> CompConfig:
    """The scenario's validated configuration (ModellingError listing the first problems)."""
    scratch = scenario_workspace(ws, scenario, first, folder)
    try:
        return load_comp_config(scratch, known_employees=delivered_employee_ids(ws))
    except CompConfigError as exc:
        shown = "; ".join(_where(str(p), scenario) for p in exc.problems[:3])
        more = f" (+{len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        hint = (
            "; give the candidates' assignments and quotas with --assignments / --quotas or as "
            "plan_assignments.csv / quotas.csv in the scenario's folder"
            if any("unknown plan" in p.message for p in exc.problems)
            else ""
        )
        raise ModellingError(
            f"scenario {scenario.name}: the plans do not load: {shown}{more}{hint}"
        ) from None


def check_scenarios(ws: Workspace, scenarios: list[Scenario], first: str) -> None:
    """Load every scenario's configuration once (ModellingError: the first that does not)."""
    with tempfile.TemporaryDirectory(prefix="openspm-scenarios-") as scratch:
        for scenario in scenarios:
            load_scenario(ws, scenario, first, Path(scratch) / scenario.name)


def _where(problem: str, scenario: Scenario) -> str:
    """A problem's file as the user knows it (the scenario's folder, not the scratch copy)."""
    text = problem.replace("comp/plans/", f"{scenario.source}/")
    text = text.replace(f"comp/{ASSIGNMENTS_FILE}", str(scenario.assignments))
    return text.replace(f"comp/{QUOTAS_FILE}", str(scenario.quotas))
